//! The code's rooms keep their doors one way: no module imports one that
//! imports it back, directly or around a circle, neither file by file nor
//! between the top-level modules (`ui`, `crm`, `client`, `server`, ...).
//!
//! Read from the source text: every `crate::`, `super::` and child-module
//! path outside the unit tests counts as an import of the module it names.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// A module by its path below the crate root: `["server", "auth"]`.
type ModulePath = Vec<String>;

/// The library's module files: `src/lib.rs` and what hangs off it.
fn module_files(root: &Path) -> BTreeMap<ModulePath, PathBuf> {
    let mut files = BTreeMap::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = fs::read_dir(&folder).expect("the source folder is readable");
        for entry in entries {
            let path = entry.expect("a readable entry").path();
            if path.is_dir() {
                // Other crates: the server binary's helpers and the tools.
                if path.file_name().is_some_and(|name| name == "bin") {
                    continue;
                }
                folders.push(path);
                continue;
            }
            if path.extension().is_none_or(|extension| extension != "rs") {
                continue;
            }
            let relative = path.strip_prefix(root).expect("below the root");
            let mut module: ModulePath = relative
                .with_extension("")
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect();
            match module.last().map(String::as_str) {
                Some("main") if module.len() == 1 => continue,
                Some("lib") if module.len() == 1 => module.clear(),
                Some("mod") => {
                    module.pop();
                }
                _ => {}
            }
            files.insert(module, path);
        }
    }
    files
}

/// The code of a module without its comments (a doc link is no import)
/// and its unit tests, which may reach anywhere.
fn code_of(path: &Path) -> String {
    let text = fs::read_to_string(path).expect("a readable source file");
    let code = match text.find("#[cfg(test)]\nmod ") {
        Some(tests) => &text[..tests],
        None => &text,
    };
    code.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The identifier path starting at `text` ("domain::Entity, ..." gives
/// `["domain", "Entity"]`); a brace group gives each of its first names.
fn paths_at(text: &str) -> Vec<Vec<String>> {
    let ident = |text: &str| -> String {
        text.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    if let Some(group) = text.strip_prefix('{') {
        return items_of_group(group)
            .into_iter()
            .flat_map(paths_at)
            .collect();
    }
    let mut path = Vec::new();
    let mut rest = text;
    loop {
        let name = ident(rest);
        if name.is_empty() {
            break;
        }
        rest = &rest[name.len()..];
        path.push(name);
        match rest.strip_prefix("::") {
            Some(after) if !after.starts_with('{') => rest = after,
            Some(after) => {
                let groups = paths_at(after);
                return groups
                    .into_iter()
                    .map(|tail| path.iter().cloned().chain(tail).collect())
                    .collect();
            }
            None => break,
        }
    }
    vec![path]
}

/// The items of a brace group whose `{` is just before `group`, split at
/// its own commas (not those of groups inside it).
fn items_of_group(group: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let mut depth = 0_usize;
    let mut start = 0;
    for (at, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(group[start..at].trim());
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(group[start..at].trim());
                start = at + 1;
            }
            _ => {}
        }
    }
    items.retain(|item| !item.is_empty());
    items
}

/// The longest prefix of `path` that names a module file.
fn module_named(path: &[String], modules: &BTreeMap<ModulePath, PathBuf>) -> Option<ModulePath> {
    (1..=path.len())
        .rev()
        .map(|length| path[..length].to_vec())
        .find(|prefix| modules.contains_key(prefix))
}

/// Which modules each module file imports.
fn imports(modules: &BTreeMap<ModulePath, PathBuf>) -> BTreeMap<ModulePath, BTreeSet<ModulePath>> {
    let mut graph = BTreeMap::new();
    for (module, path) in modules {
        let code = code_of(path);
        let parent: ModulePath = module[..module.len().saturating_sub(1)].to_vec();
        let children: Vec<&ModulePath> = modules
            .keys()
            .filter(|other| other.len() == module.len() + 1 && other.starts_with(module))
            .collect();
        let mut named = BTreeSet::new();
        let mut resolve = |base: &ModulePath, text: &str| {
            for tail in paths_at(text) {
                let full: Vec<String> = base.iter().cloned().chain(tail).collect();
                if let Some(target) = module_named(&full, modules) {
                    named.insert(target);
                }
            }
        };
        for (at, _) in code.match_indices("crate::") {
            resolve(&Vec::new(), &code[at + "crate::".len()..]);
        }
        for (at, _) in code.match_indices("super::") {
            let before = &code[..at];
            // `super::super::` is read from its first `super`.
            if before.ends_with("super::") {
                continue;
            }
            let mut base = parent.clone();
            let mut rest = &code[at + "super::".len()..];
            while let Some(after) = rest.strip_prefix("super::") {
                base.pop();
                rest = after;
            }
            resolve(&base, rest);
        }
        for child in children {
            let name = child.last().expect("a child has a name");
            let declared = [format!("mod {name};"), format!("pub mod {name};")];
            for (at, _) in code.match_indices(&format!("{name}::")) {
                let before = code[..at].chars().last();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                    continue;
                }
                if declared.iter().any(|line| code[at..].starts_with(line)) {
                    continue;
                }
                named.insert(child.clone());
            }
        }
        named.remove(module);
        graph.insert(module.clone(), named);
    }
    graph
}

/// Every group of modules that import each other around a circle.
fn circles(graph: &BTreeMap<ModulePath, BTreeSet<ModulePath>>) -> Vec<Vec<ModulePath>> {
    let reaches = |from: &ModulePath| -> BTreeSet<ModulePath> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<ModulePath> = graph.get(from).into_iter().flatten().cloned().collect();
        while let Some(next) = stack.pop() {
            if seen.insert(next.clone()) {
                stack.extend(graph.get(&next).into_iter().flatten().cloned());
            }
        }
        seen
    };
    let reach: BTreeMap<&ModulePath, BTreeSet<ModulePath>> = graph
        .keys()
        .map(|module| (module, reaches(module)))
        .collect();
    let mut found: Vec<Vec<ModulePath>> = Vec::new();
    for (module, reached) in &reach {
        if !reached.contains(*module) || found.iter().any(|circle| circle.contains(module)) {
            continue;
        }
        let circle: Vec<ModulePath> = reached
            .iter()
            .filter(|other| reach.get(other).is_some_and(|back| back.contains(*module)))
            .cloned()
            .collect();
        found.push(circle);
    }
    found
}

fn describe(circles: &[Vec<ModulePath>]) -> String {
    circles
        .iter()
        .map(|circle| {
            circle
                .iter()
                .map(|module| format!("crate::{}", module.join("::")))
                .collect::<Vec<_>>()
                .join(" ⇄ ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn source_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn no_module_file_imports_one_that_imports_it_back() {
    let modules = module_files(&source_root());
    assert!(modules.len() > 30, "the source tree was found");
    let found = circles(&imports(&modules));
    assert!(found.is_empty(), "import circles:\n{}", describe(&found));
}

#[test]
fn no_top_level_module_imports_one_that_imports_it_back() {
    let modules = module_files(&source_root());
    let mut top: BTreeMap<ModulePath, BTreeSet<ModulePath>> = BTreeMap::new();
    for (module, imported) in imports(&modules) {
        let Some(room) = module.first() else {
            continue;
        };
        let entry = top.entry(vec![room.clone()]).or_default();
        for other in imported {
            if other.first().is_some_and(|other_room| other_room != room) {
                entry.insert(other[..1].to_vec());
            }
        }
    }
    let found = circles(&top);
    assert!(found.is_empty(), "import circles:\n{}", describe(&found));
}

#[test]
fn a_circle_of_imports_is_found() {
    let module = |name: &str| vec![name.to_owned()];
    let graph: BTreeMap<ModulePath, BTreeSet<ModulePath>> = [
        (module("ui"), [module("client")].into()),
        (module("client"), [module("crm")].into()),
        (module("crm"), [module("ui")].into()),
        (module("domain"), BTreeSet::new()),
    ]
    .into();
    let found = circles(&graph);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].len(), 3);
}

#[test]
fn grouped_and_nested_paths_are_read_whole() {
    assert_eq!(
        paths_at("{api, domain::{Entity, Lead}};"),
        [
            vec!["api".to_owned()],
            vec!["domain".to_owned(), "Entity".to_owned()],
            vec!["domain".to_owned(), "Lead".to_owned()],
        ]
    );
}
