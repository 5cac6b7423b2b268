//! Scale-out on a multi-primary MariaDB Galera cluster (issue 13).

use lucia_sea_orm_tests::cluster::GaleraCluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_cluster_has_three_synced_nodes() {
    let Some(cluster) = GaleraCluster::start().await else {
        return;
    };
    for node in 0..3 {
        assert_eq!(cluster.status(node, "wsrep_cluster_size").await.as_deref(), Some("3"));
    }
}
