//! # brainstream-actors
//!
//! Every actor kind of brainstream, one file each: the model wrappers
//! (`mean_field`, `spiking_network`), the bridge to NEST and ANNarchy
//! (`external/`), monitors (`monitors/`: `temporal_average`,
//! `subsample`, `bold`, `spatial_average` and `global_average` in
//! `spatial_average`, and the sensor-space `eeg`, `meg`, `ieeg` in
//! `projection`), recorders (`hdf5_recorder`), figures (`png_plot`,
//! `fc_plot`, `fcd_plot`, `spectrum_plot`; drawn with `plot_style`, `plot_scale`,
//! `plot_matrix`), spike-train statistics (`spike_stats`), devices
//! (`devices/`: `poisson_generator`, `inhomogeneous_poisson_generator`,
//! `spike_generator`, `step_current_generator`, `parrot_neuron`), transformers
//! (`transformers/`: `poisson_spikes`, `current_proxy`, `spike_rates`, `rate_filter`,
//! `rww_filter`, `jansen_rit_inverse_sigmoidal`; and `gain`), a stimulus (`stimulus`, tvb-library's
//! `StimuliRegion`), a closed-loop controller (`proportional_control`,
//! steering another actor through its `control` input), a test source
//! (`linear_ode`). [`registry`]
//! returns them all for the runtime. [`memory_recorder`] is not a kind of
//! graph files: a program embedding brainstream (the Python package) puts
//! it in place of recorders to keep results in memory.

pub mod devices;
pub mod disk_reserve;
pub mod external;
pub mod fc_plot;
pub mod fcd_plot;
pub mod gain;
pub mod hdf5_recorder;
pub mod linear_ode;
pub mod mean_field;
pub mod mean_field_vulkan;
pub mod memory_recorder;
pub mod model_params;
pub mod monitors;
pub mod plot_matrix;
pub mod plot_scale;
pub mod plot_style;
pub mod png_plot;
pub mod proportional_control;
pub mod spectrum_plot;
pub mod spike_stats;
pub mod spiking_network;
pub mod stimulus;
pub mod surface;
pub mod surface_vulkan;
pub mod transformers;
pub(crate) mod util;

use brainstream_runtime::Registry;

/// A registry holding every actor kind of this crate.
pub fn registry() -> Registry {
    let mut r = Registry::new();
    r.register(mean_field::KIND);
    r.register(hdf5_recorder::KIND);
    r.register(linear_ode::KIND);
    r.register(gain::KIND);
    r.register(monitors::temporal_average::KIND);
    r.register(monitors::subsample::KIND);
    r.register(monitors::bold::KIND);
    r.register(monitors::projection::EEG);
    r.register(monitors::projection::MEG);
    r.register(monitors::projection::IEEG);
    r.register(monitors::spatial_average::KIND);
    r.register(monitors::spatial_average::GLOBAL);
    r.register(spiking_network::KIND);
    r.register(spike_stats::KIND);
    r.register(external::KIND);
    r.register(png_plot::KIND);
    r.register(fc_plot::KIND);
    r.register(fcd_plot::KIND);
    r.register(spectrum_plot::KIND);
    r.register(devices::inhomogeneous_poisson_generator::KIND);
    r.register(devices::poisson_generator::KIND);
    r.register(devices::parrot_neuron::KIND);
    r.register(devices::spike_generator::KIND);
    r.register(devices::step_current_generator::KIND);
    r.register(transformers::current_proxy::KIND);
    r.register(transformers::poisson_spikes::KIND);
    r.register(transformers::rate_filter::KIND);
    r.register(transformers::rww_filter::KIND);
    r.register(transformers::jansen_rit_inverse_sigmoidal::KIND);
    r.register(transformers::spike_rates::KIND);
    r.register(stimulus::KIND);
    r.register(proportional_control::KIND);
    r.register(surface::KIND);
    r
}
