//! Surface simulations as tvb-library 2.10 runs them: the state lives on
//! the vertices of a cortical surface ([`mesh`]), vertices are coupled
//! locally through a sparse [`local_connectivity`] kernel of geodesic
//! distances ([`geodesic`]) and at long range through the region
//! connectome, a region mapping averaging the vertices of each region
//! into the delayed history and broadcasting each region's coupling back
//! to its vertices ([`sim`]). A precomputed local connectivity is read
//! from a file as tvb-library's `LocalConnectivity.from_file` reads it
//! ([`lc_file`]); a surface stimulus is tvb-library's `StimuliSurface`
//! ([`stimulus`]). The vertex normals of a surface zip ([`normals`]) orient
//! the sources of an analytic lead field (`crate::analytic_gain`).

pub mod geodesic;
pub mod lc_file;
pub mod local_connectivity;
pub mod mesh;
pub mod normals;
pub mod sim;
pub mod stimulus;

pub use geodesic::SparseRows;
pub use lc_file::read_local_connectivity;
pub use local_connectivity::{LocalConnectivity, SpatialEquation};
pub use mesh::{Surface, BUILTIN_CORTEX_16K};
pub use normals::vertex_normals;
pub use sim::{SurfaceConfig, SurfaceSim, SURFACE_MODELS};
pub use stimulus::SurfaceStimulus;
