//! Examples only: see `examples/`. This library is empty so that the package has a target.
