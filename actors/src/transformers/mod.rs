//! Transformers between scales: rates → spikes, spikes → rates, filters.
//! (`gain`, the linear transformer, lives in `gain.rs`.)

pub mod poisson_spikes;
pub mod rate_filter;
pub mod rww_filter;
pub mod spike_rates;
