//! The README's "Scaling out" snippet: a pool whose every connection reads its own writes on a
//! MariaDB Galera node. A MariaDB server outside a cluster accepts the setting and ignores it.

/// A pool on the Galera node `node_url`, set up as the README recommends.
pub async fn connect_to_node(
    node_url: &str,
) -> Result<sea_orm::DatabaseConnection, sea_orm::DbErr> {
    let mut options = sea_orm::ConnectOptions::new(node_url);
    options
        .acquire_timeout(std::time::Duration::from_secs(3))
        .map_sqlx_mysql_pool_opts(|pool| {
            pool.after_connect(|connection, _| {
                Box::pin(async move {
                    use sea_orm::sqlx::Executor;
                    connection
                        .execute("SET SESSION wsrep_sync_wait = 7")
                        .await?;
                    Ok(())
                })
            })
        });
    let db = sea_orm::Database::connect(options).await?;
    Ok(db)
}
