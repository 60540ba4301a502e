//! The crate's folders are its layers: each imports (through `crate::` paths) only the folders
//! below it, and within a folder no file reaches, through other files, back to itself. (Doc
//! comments and unit-test modules are not counted: links and tests may look anywhere.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layers, lowest first. A new folder or root file under `src/` must be placed here.
const LAYERS: &[&str] = &[
    "error",       // the typed error every layer returns
    "wire",        // the crate's view of a request, a response, a body, a refusal
    "sigv4",       // the pure signer: no I/O, no policy, no product names
    "credentials", // sources, cache, single-flight refresh, region
    "bedrock",     // the product: one host grammar, endpoints, keys, minting
    "policy",      // the scope and the one guard every hop passes
    "auth",        // the handle and the ways of authenticating (SigV4, bearer key)
    "exchange",    // send, recover once, follow redirects
    "config",      // the builder and its presets
    "adapters",    // reqwest 0.13, reqwest 0.12, tower, `http::Request`
    "testing",     // the verifier and wiremock matchers (opt-in features)
];

/// Every `.rs` file under `src/` but the binary and `lib.rs`: its path as `folder::file`
/// (a root file is its own folder) and its code without doc comments and unit tests.
fn sources() -> Vec<(String, String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![root.clone()];
    let mut files = Vec::new();
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
            if relative == "lib.rs" || !relative.ends_with(".rs") {
                continue;
            }
            let module = relative
                .trim_end_matches(".rs")
                .trim_end_matches("/mod")
                .replace('/', "::");
            let folder = module.split("::").next().unwrap().to_owned();
            let source = std::fs::read_to_string(&path).unwrap();
            let code = source
                .split("#[cfg(test)]\nmod tests")
                .next()
                .unwrap()
                .lines()
                .map(|line| line.split("//").next().unwrap())
                .collect::<Vec<_>>()
                .join("\n");
            files.push((folder, module, code, source));
        }
    }
    // Files that are unit tests of their parent (`#[cfg(test)] mod name;`) are tests too.
    let tests: Vec<String> = files
        .iter()
        .flat_map(|(_, module, _, source)| {
            source
                .match_indices("#[cfg(test)]\nmod ")
                .filter_map(|(i, _)| {
                    let name = source[i + 17..].split(';').next()?;
                    Some(format!("{module}::{name}"))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    files
        .into_iter()
        .filter(|(_, module, _, _)| !tests.contains(module))
        .map(|(folder, module, code, _)| (folder, module, code))
        .collect()
}

/// The `crate::a::b::…` paths a piece of code names, as segment lists.
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    code.match_indices("crate::")
        .map(|(i, _)| {
            let path: String = code[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            path.split("::")
                .take_while(|segment| !segment.is_empty() && !segment.contains(':'))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|path| !path.is_empty())
        .collect()
}

#[test]
fn every_folder_imports_only_the_layers_below_it() {
    let files = sources();
    let mut violations = Vec::new();
    let mut edges = 0;
    for (folder, module, code) in &files {
        let Some(rank) = LAYERS.iter().position(|layer| layer == folder) else {
            violations.push(format!("`src/{folder}` is in no layer: add it to LAYERS"));
            continue;
        };
        for path in crate_paths(code) {
            let Some(target) = LAYERS.iter().position(|layer| *layer == path[0]) else {
                continue; // a re-export at the root, such as `crate::Error`
            };
            if target > rank {
                violations.push(format!(
                    "`{module}` ({folder}) uses `crate::{}` ({}), a layer above it",
                    path.join("::"),
                    path[0]
                ));
            }
            edges += usize::from(target < rank);
        }
    }
    // The graph is real: the layers exist and the upper ones use the lower ones.
    let folders: BTreeSet<&str> = files.iter().map(|(folder, _, _)| folder.as_str()).collect();
    for layer in LAYERS {
        assert!(
            folders.contains(layer),
            "layer `{layer}` has no files: {folders:?}"
        );
    }
    assert!(edges > 100, "only {edges} imports across layers were found");
    assert!(violations.is_empty(), "{violations:#?}");
}

/// Within each folder: the files' `crate::folder::file` references.
fn file_graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (folder, module, code) in sources() {
        let refs = graph.entry(module.clone()).or_default();
        for path in crate_paths(&code) {
            if path[0] != folder || path.len() < 2 {
                continue;
            }
            // `crate::a::b::c` names file `a::b::c` when it exists, else `a::b`.
            for len in (2..=path.len()).rev() {
                let target = path[..len].join("::");
                if target != module && !module.starts_with(&format!("{target}::")) {
                    refs.insert(target);
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
    let mut path = vec![start.to_owned()];
    walk(graph, start, &mut path, &mut BTreeSet::new()).then_some(path)
}

#[test]
fn no_file_imports_itself_in_a_circle() {
    let graph = file_graph();
    assert!(
        graph["sigv4::sign"].contains("sigv4::canonical"),
        "{graph:?}"
    );
    assert!(graph.len() > 30, "{graph:?}");
    let cycles: Vec<String> = graph
        .keys()
        .filter_map(|module| cycle_from(&graph, module))
        .map(|cycle| cycle.join(" -> "))
        .collect();
    assert!(cycles.is_empty(), "import circles: {cycles:#?}");
}

#[test]
fn the_signer_does_no_io_and_neither_it_nor_the_ways_of_authenticating_send() {
    for (folder, module, code) in sources() {
        if folder == "sigv4" {
            for io in [
                "tokio::", "reqwest", "hyper", ".await", "std::fs", "std::net", "Bedrock", "Mantle",
            ] {
                assert!(!code.contains(io), "the signer `{module}` names `{io}`");
            }
        }
        if folder == "sigv4" || folder == "auth" || folder == "policy" {
            assert!(!code.contains(".send("), "`{module}` sends a request");
        }
    }
}
