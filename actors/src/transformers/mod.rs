//! Transformers between scales: rates → spikes, spikes → rates, a mean
//! field's state or coupling → a current (`current_proxy`), filters.
//! (`gain`, the linear transformer, lives in `gain.rs`.)

pub mod current_proxy;
pub mod jansen_rit_inverse_sigmoidal;
pub mod poisson_spikes;
pub mod rate_filter;
pub mod rww_filter;
pub mod spike_rates;
