//! The crate's modules form a layered graph: no module reaches, through `crate::` paths, back
//! to itself. (Doc comments and unit-test modules are not counted: links and tests may look
//! anywhere.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// `crate::name` references of every top-level module under `src/` (the binary excluded).
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    let root = stack[0].clone();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if !path.ends_with("bin") {
                    stack.push(path);
                }
                continue;
            }
            let relative = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let top = relative.split('/').next().unwrap().trim_end_matches(".rs");
            if top == "lib" || !relative.ends_with(".rs") {
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            let code = source.split("#[cfg(test)]\nmod tests").next().unwrap();
            let refs = graph.entry(top.to_owned()).or_default();
            for line in code.lines() {
                let line = line.split("//").next().unwrap();
                for (i, _) in line.match_indices("crate::") {
                    let name: String = line[i + 7..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if name != top && !name.is_empty() {
                        refs.insert(name);
                    }
                }
            }
        }
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for refs in graph.values_mut() {
        refs.retain(|name| modules.contains(name));
    }
    graph
}

/// A cycle through `start`, if there is one.
fn cycle_from(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut path = vec![start.to_owned()];
    let mut seen = BTreeSet::new();
    fn walk(
        graph: &BTreeMap<String, BTreeSet<String>>,
        start: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        let here = path.last().unwrap().clone();
        for next in &graph[&here] {
            if next == start {
                path.push(next.clone());
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(graph, start, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    walk(graph, start, &mut path, &mut seen).then_some(path)
}

#[test]
fn no_module_imports_itself_in_a_circle() {
    let graph = module_graph();
    // The graph is real: the request path's modules are there and depend on each other.
    assert!(graph["sigv4"].contains("sign"), "{graph:?}");
    assert!(graph["adapters"].contains("auth"), "{graph:?}");
    assert!(graph.len() > 20, "{graph:?}");
    let cycles: Vec<String> = graph
        .keys()
        .filter_map(|module| cycle_from(&graph, module))
        .map(|cycle| cycle.join(" -> "))
        .collect();
    assert!(cycles.is_empty(), "import circles: {cycles:#?}");
}

#[test]
fn the_signing_path_never_depends_on_the_test_tooling() {
    let graph = module_graph();
    for module in graph.keys() {
        if module == "verify" || module == "wiremock" {
            continue;
        }
        for tooling in ["verify", "wiremock"] {
            assert!(
                !graph[module].contains(tooling),
                "`{module}` uses `{tooling}`, which is test tooling behind a feature"
            );
        }
    }
}
