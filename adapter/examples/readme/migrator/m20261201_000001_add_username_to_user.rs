use sea_orm::sea_query::{ColumnDef, Index, Table};
use sea_orm_migration::prelude::*;

/// What an application adds to `user`: a unique `username` column.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AppUser::Table)
                    .add_column(ColumnDef::new(AppUser::Username).string_len(255).null())
                    .to_owned(),
            )
            .await?;
        // SQLite cannot add a UNIQUE column, so uniqueness comes from an index everywhere.
        manager
            .create_index(
                Index::create()
                    .name("idx_user_username")
                    .table(AppUser::Table)
                    .col(AppUser::Username)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_user_username")
                    .table(AppUser::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AppUser::Table)
                    .drop_column(AppUser::Username)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum AppUser {
    #[sea_orm(iden = "user")]
    Table,
    Username,
}
