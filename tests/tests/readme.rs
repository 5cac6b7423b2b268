//! The README's code is the code CI runs, and the docs carry the examples the README promises.
//!
//! Every ```rust block of README.md must appear verbatim (indented as a whole, as inside a
//! function) in `adapter/examples/readme/`, the example that CI builds as an application outside
//! the workspace and runs on every database (`.ci/newcomer`), or, for "Using it with axum", in
//! `axum/examples/` (built by CI as a workspace example); blocks that land in the same file
//! must appear there in the README's order, so that running the file runs them in order.

use std::path::{Path, PathBuf};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the repository")
        .to_owned()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// The ```rust blocks of a Markdown text, each dedented by its fence's indentation.
fn rust_blocks(markdown: &str) -> Vec<Vec<String>> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, Vec<String>)> = None;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        match &mut current {
            None if trimmed == "```rust" => current = Some((indent, Vec::new())),
            Some(_) if trimmed == "```" => {
                let (_, block) = current.take().expect("inside a block");
                blocks.push(block);
            }
            Some((fence, block)) => {
                let line = if line.len() >= *fence {
                    &line[*fence..]
                } else {
                    ""
                };
                block.push(line.to_owned());
            }
            None => {}
        }
    }
    assert!(current.is_none(), "README.md ends inside a ```rust block");
    blocks
}

/// Where `block` starts in `lines`, indented as a whole by some prefix of spaces.
fn find(block: &[String], lines: &[&str]) -> Option<usize> {
    let first = block.first()?;
    (0..lines.len()).find(|&start| {
        let Some(indent) = lines[start].strip_suffix(first.as_str()) else {
            return false;
        };
        indent.chars().all(|c| c == ' ')
            && start + block.len() <= lines.len()
            && block.iter().zip(&lines[start..]).all(|(expected, actual)| {
                if expected.is_empty() {
                    actual.trim().is_empty()
                } else {
                    actual.strip_prefix(indent) == Some(expected.as_str())
                }
            })
    })
}

fn rust_files(directory: &Path, files: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(directory).unwrap_or_else(|err| panic!("{}: {err}", directory.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
}

#[test]
fn every_rust_block_of_the_readme_is_in_the_readme_example_in_order() {
    let root = repository();
    let blocks = rust_blocks(&read(&root.join("README.md")));
    assert!(
        blocks.len() >= 5,
        "README.md has {} rust blocks",
        blocks.len()
    );
    let mut files = Vec::new();
    rust_files(&root.join("adapter/examples/readme"), &mut files);
    // "Using it with axum" shows the axum crate's example router, which CI builds as a target.
    rust_files(&root.join("axum/examples"), &mut files);
    let sources: Vec<(PathBuf, String)> =
        files.into_iter().map(|f| (f.clone(), read(&f))).collect();

    let mut last_position: Vec<Option<usize>> = vec![None; sources.len()];
    for block in &blocks {
        let found = sources.iter().enumerate().find_map(|(index, (_, source))| {
            let lines: Vec<&str> = source.lines().collect();
            find(block, &lines).map(|start| (index, start))
        });
        let Some((index, start)) = found else {
            panic!(
                "this README block is not in adapter/examples/readme/ (or axum/examples/) verbatim:\n{}",
                block.join("\n")
            );
        };
        if let Some(previous) = last_position[index] {
            assert!(
                start > previous,
                "README blocks are out of order in {}: this one comes earlier in the file:\n{}",
                sources[index].0.display(),
                block.join("\n")
            );
        }
        last_position[index] = Some(start);
    }
}

/// The rules that map `Attributes` fields to `user` columns, in the README between markers, are
/// also in the adapter crate's documentation, word for word.
#[test]
fn the_attribute_rules_are_in_the_adapter_docs_as_in_the_readme() {
    let root = repository();
    let readme = read(&root.join("README.md"));
    let start = readme
        .find("<!-- attribute rules")
        .expect("README.md marks the attribute rules");
    let end = readme
        .find("<!-- end of attribute rules -->")
        .expect("README.md marks the end of the attribute rules");
    let rules: Vec<&str> = readme[start..end].lines().skip(1).collect();
    assert!(!rules.is_empty());
    let docs: Vec<String> = read(&root.join("adapter/src/lib.rs"))
        .lines()
        .filter_map(|line| line.strip_prefix("//!"))
        .map(|line| line.strip_prefix(' ').unwrap_or(line).to_owned())
        .collect();
    let rules: Vec<String> = rules.iter().map(|line| (*line).to_owned()).collect();
    assert!(
        docs.windows(rules.len())
            .any(|window| window == rules.as_slice()),
        "adapter/src/lib.rs's crate docs do not contain the README's attribute rules:\n{}",
        rules.join("\n")
    );
}

/// The doc comment right above `pub async fn name` / `pub fn name` / `pub trait name` /
/// `pub enum name` in `source`, attributes skipped.
fn doc_of(source: &str, item: &str) -> String {
    let lines: Vec<&str> = source.lines().collect();
    let at = lines
        .iter()
        .position(|line| {
            let line = line.trim_start();
            ["pub async fn ", "pub fn ", "pub trait ", "pub enum ", "fn "]
                .iter()
                .any(|prefix| {
                    line.strip_prefix(prefix).is_some_and(|rest| {
                        rest.starts_with(item)
                            && rest[item.len()..].starts_with(['(', '<', ' ', ':'])
                    })
                })
        })
        .unwrap_or_else(|| panic!("no item {item}"));
    let mut doc = Vec::new();
    for line in lines[..at].iter().rev() {
        let line = line.trim_start();
        if let Some(text) = line.strip_prefix("///") {
            doc.push(text);
        } else if line.starts_with("#[") || line.starts_with(')') || line.starts_with("#!") {
            continue;
        } else {
            break;
        }
    }
    doc.reverse();
    doc.join("\n")
}

#[test]
fn the_main_auth_methods_the_adapter_trait_and_error_have_examples() {
    let root = repository();
    let auth = read(&root.join("auth/src/auth.rs"));
    for method in [
        "builder",
        "create_user",
        "use_key",
        "update_key_password",
        "create_session",
        "validate_session",
        "validate_session_user",
        "invalidate_session",
        "spawn_expired_session_cleanup",
    ] {
        let doc = doc_of(&auth, method);
        assert!(doc.contains("```"), "Auth::{method} has no example:\n{doc}");
    }
    let adapter = read(&root.join("auth/src/adapter.rs"));
    assert!(
        doc_of(&adapter, "Adapter").contains("```"),
        "the Adapter trait has no example"
    );
    let error = read(&root.join("auth/src/error.rs"));
    assert!(
        doc_of(&error, "Error").contains("```"),
        "Error has no example"
    );
}
