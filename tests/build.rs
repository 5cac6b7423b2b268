//! Marks the suite's tests for a database whose server is not named as ignored, so that
//! `cargo test` without servers says how many tests did not run, and on which database.
//!
//! The generated tests read the cfg `lucia_sea_orm_unset` (see `on_every_database!`): for each
//! server variable that is unset at compile time, `lucia_sea_orm_unset = "<VARIABLE>"`. Under
//! `CI=true` nothing is marked, so that an unset server fails its tests instead.

/// The variables naming the servers the suite runs on besides the embedded SQLite.
const SERVER_VARIABLES: &[&str] = &["TEST_POSTGRES_URL", "TEST_MYSQL_URL"];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=CI");
    let values = SERVER_VARIABLES
        .iter()
        .map(|variable| format!("\"{variable}\""))
        .collect::<Vec<_>>()
        .join(", ");
    println!("cargo::rustc-check-cfg=cfg(lucia_sea_orm_unset, values({values}))");
    let ci = std::env::var("CI").is_ok_and(|ci| ci == "true");
    for variable in SERVER_VARIABLES {
        println!("cargo::rerun-if-env-changed={variable}");
        let set = std::env::var_os(variable).is_some_and(|value| !value.is_empty());
        if !set && !ci {
            println!("cargo::rustc-cfg=lucia_sea_orm_unset=\"{variable}\"");
            println!(
                "cargo::warning={variable} is unset: that database's tests are compiled as \
                 ignored (`ignored, set {variable} to run it`)"
            );
        }
    }
}
