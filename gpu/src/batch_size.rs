//! How many combinations one batch ([`crate::GpuBatch`]) holds on a device:
//! bounded by the device's limits (the largest storage binding and single
//! allocation: each of the batch's buffers must fit both), by its memory
//! (half of its largest device-local heap: the driver, the display and
//! other processes share it) and by the host's (half of what Linux calls
//! available; the history is held twice on the host while it is uploaded,
//! and the caller's analyses hold their own per combination). On a CPU
//! implementation (lavapipe) device memory is the host's: the device's
//! part counts against both.
//!
//! A combination's results do not depend on the batch that runs it (each
//! is one column of threads, its noise keyed by its global index), so the
//! size changes only speed and memory.

use brainstream_models::ModelInfo;

use crate::analysis::AnalysisShape;
use crate::device::GpuDevice;
use crate::GpuBatch;

/// What a batch is made of, as [`crate::BatchSpec`] gives it.
#[derive(Debug, Clone, Copy)]
pub struct BatchShape {
    pub model: &'static ModelInfo,
    /// Coupling parameter values per combination.
    pub coupling_values: usize,
    /// Regions.
    pub n: usize,
    /// Non-zero weights.
    pub nnz: usize,
    /// Largest delay, steps.
    pub max_delay: usize,
    /// Output variables summed per period.
    pub outputs: usize,
    /// The analyses streamed on the device, if any
    /// ([`crate::GpuBatch::attach_analyses`]).
    pub analyses: Option<AnalysisShape>,
}

/// One buffer of a batch: bytes independent of the combinations, bytes
/// per combination.
#[derive(Debug, Clone, Copy)]
struct Buf {
    fixed: u64,
    per: u64,
    device_local: bool,
}

impl BatchShape {
    /// The buffers `GpuBatch::new` makes (f32 and u32 words; see its
    /// layout), then those of the device analyses (`crate::analysis`).
    fn buffers(&self) -> Vec<Buf> {
        let m = self.model;
        let (n, nv, nc) = (self.n as u64, m.nvar() as u64, m.cvar.len() as u64);
        let h = GpuBatch::horizon(self.max_delay) as u64;
        let nout = self.outputs as u64;
        let nnz = self.nnz as u64;
        let dev = |fixed: u64, per: u64| Buf {
            fixed: 4 * fixed,
            per: 4 * per,
            device_local: true,
        };
        let host = |per: u64| Buf {
            fixed: 0,
            per: 4 * per,
            device_local: false,
        };
        // room for a sum rule's own lists of connections (PreSigmoidal's:
        // at most 2 entries per weight, a delay each and 2 weights, with
        // n + 1 pointers and n diagonal delays), counted for every coupling
        let (sum_ints, sum_floats) = (4 + 2 * n + 1 + 2 * nnz, 4 * nnz);
        let mut bufs = vec![
            // header, rows, columns, delays, outputs
            dev(18 + n + 1 + 2 * nnz + nout + sum_ints, 0),
            // dt, weights, bounds, nsig; parameters per combination
            dev(
                1 + nnz + 3 * nv + sum_floats,
                (m.n_values() + self.coupling_values) as u64,
            ),
            // state
            dev(0, nv * n),
            // history ring
            dev(0, h * nc * n),
            // period sums
            dev(0, nout * n),
            // their read-back, the state's read-back
            host(nout * n),
            host(nv * n),
        ];
        if let Some(a) = &self.analyses {
            // the analyses' header and constants, then their sums
            bufs.push(Buf {
                fixed: a.device_fixed(),
                per: 0,
                device_local: true,
            });
            bufs.extend(a.device_buffers().into_iter().map(|per| Buf {
                fixed: 0,
                per,
                device_local: true,
            }));
        }
        bufs
    }

    /// Device-local bytes per combination.
    pub fn device_bytes(&self) -> u64 {
        self.buffers()
            .iter()
            .filter(|b| b.device_local)
            .map(|b| b.per)
            .sum()
    }

    /// Host bytes per combination: the host-visible read-backs, the
    /// history and state built on the host and their staging copies (while
    /// uploading), each period's sums copied out, and the device analyses'
    /// sums read back at the end with the CPU analyses' state made from
    /// them ([`AnalysisShape::host_bytes`]).
    pub fn host_bytes(&self) -> u64 {
        let b = self.buffers();
        let staged = b[2].per + b[3].per;
        b[5].per + b[6].per + 2 * staged + b[4].per + self.analyses.map_or(0, |a| a.host_bytes())
    }
}

/// What bounds a batch's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// The largest storage binding (`maxStorageBufferRange`).
    Binding,
    /// The largest allocation (`maxMemoryAllocationSize`, `maxBufferSize`).
    Allocation,
    /// Half of the device's memory.
    DeviceMemory,
    /// Half of the host's available memory.
    HostMemory,
    /// The caller's cap.
    Cap,
}

impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Binding => "the largest storage binding",
            Self::Allocation => "the largest allocation",
            Self::DeviceMemory => "half of the device's memory",
            Self::HostMemory => "half of the host's available memory",
            Self::Cap => "the cap",
        })
    }
}

/// A batch size and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fit {
    /// Combinations per batch (0: not even one fits).
    pub combinations: usize,
    pub bound: Bound,
    /// Device-local bytes per combination.
    pub device_per_combination: u64,
    /// Host bytes per combination, the caller's included.
    pub host_per_combination: u64,
    /// The device-memory budget, bytes (half its largest device-local heap).
    pub device_budget: u64,
    /// The host-memory budget, bytes (None: unknown, not bounded).
    pub host_budget: Option<u64>,
}

/// The size of a batch of `shape` on `dev`: at most `cap` combinations,
/// each also holding `host_extra` bytes on the host (the caller's
/// analyses); `host_available`: the host's available memory, bytes
/// ([`host_available`]; None: unbounded).
pub fn fit(
    dev: &GpuDevice,
    shape: &BatchShape,
    host_extra: u64,
    host_available: Option<u64>,
    cap: usize,
) -> Fit {
    let limits = Limits {
        max_storage_buffer: dev.max_storage_buffer,
        max_allocation: dev.max_allocation,
        memory_heap: dev.memory_heap,
        is_cpu: dev.is_cpu,
        binding_fit: GpuBatch::max_combinations(dev, shape.model, shape.n, shape.max_delay),
    };
    fit_limits(&limits, shape, host_extra, host_available, cap)
}

/// What [`fit`] reads from a device.
struct Limits {
    max_storage_buffer: u64,
    max_allocation: u64,
    memory_heap: u64,
    is_cpu: bool,
    /// `GpuBatch::max_combinations`, which `GpuBatch::new` checks.
    binding_fit: usize,
}

fn fit_limits(
    l: &Limits,
    shape: &BatchShape,
    host_extra: u64,
    host_available: Option<u64>,
    cap: usize,
) -> Fit {
    let bufs = shape.buffers();
    let mut best = (cap as u64, Bound::Cap);
    let mut bound = |c: u64, why: Bound| {
        if c < best.0 {
            best = (c, why);
        }
    };
    let per_buffer = |limit: u64, only_device: bool| {
        bufs.iter()
            .filter(|b| b.per > 0 && (b.device_local || !only_device))
            .map(|b| limit.saturating_sub(b.fixed) / b.per)
            .min()
            .unwrap_or(u64::MAX)
    };
    bound(per_buffer(l.max_storage_buffer, true), Bound::Binding);
    bound(l.binding_fit as u64, Bound::Binding);
    bound(per_buffer(l.max_allocation, false), Bound::Allocation);
    let fixed: u64 = bufs.iter().map(|b| b.fixed).sum();
    let dev_per = shape.device_bytes();
    let host_per = shape.host_bytes() + host_extra;
    let device_budget = l.memory_heap / 2;
    let host_budget = host_available.map(|a| a / 2);
    bound(
        device_budget.saturating_sub(fixed) / dev_per.max(1),
        Bound::DeviceMemory,
    );
    if let Some(h) = host_budget {
        // on a CPU implementation (lavapipe) the device's memory is the
        // host's too
        let per = host_per + if l.is_cpu { dev_per } else { 0 };
        bound(h / per.max(1), Bound::HostMemory);
    }
    Fit {
        combinations: best.0.min(usize::MAX as u64) as usize,
        bound: best.1,
        device_per_combination: dev_per,
        host_per_combination: host_per,
        device_budget,
        host_budget,
    }
}

/// The host's available memory (`MemAvailable` of `/proc/meminfo`), bytes;
/// None where it cannot be read (not Linux).
pub fn host_available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line
        .trim_start_matches("MemAvailable:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib << 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape() -> BatchShape {
        BatchShape {
            model: brainstream_models::models::model_info("Generic2dOscillator").unwrap(),
            coupling_values: 2,
            n: 68,
            nnz: 1000,
            max_delay: 98,
            outputs: 2,
            analyses: None,
        }
    }

    fn gpu(heap: u64) -> Limits {
        Limits {
            max_storage_buffer: u32::MAX as u64,
            max_allocation: u64::MAX,
            memory_heap: heap,
            is_cpu: false,
            binding_fit: usize::MAX,
        }
    }

    #[test]
    fn the_bytes_are_those_of_the_buffers() {
        let s = shape();
        // Generic2dOscillator: 2 state variables, 1 coupled; H = 100
        let nv = s.model.nvar() as u64;
        let nc = s.model.cvar.len() as u64;
        let hist = 100 * nc * 68 * 4;
        let params = (s.model.n_values() as u64 + 2) * 4;
        assert_eq!(s.device_bytes(), hist + nv * 68 * 4 + 2 * 68 * 4 + params);
        assert_eq!(
            s.host_bytes(),
            2 * 68 * 4 + nv * 68 * 4 + 2 * (hist + nv * 68 * 4) + 2 * 68 * 4
        );
    }

    #[test]
    fn the_smallest_bound_wins_and_is_named() {
        let s = shape();
        let per = s.device_bytes();
        // plenty of everything: the cap
        let f = fit_limits(&gpu(1 << 40), &s, 0, None, 8192);
        assert_eq!((f.combinations, f.bound), (8192, Bound::Cap));
        // 100 combinations' worth of half the heap
        let f = fit_limits(&gpu(2 * (100 * per + 20_000)), &s, 0, None, 8192);
        assert_eq!(f.bound, Bound::DeviceMemory);
        assert!((99..=100).contains(&f.combinations), "{f:?}");
        // the host: 10 combinations of analyses
        let f = fit_limits(&gpu(1 << 40), &s, 1 << 20, Some(20 << 20), 8192);
        assert_eq!(f.bound, Bound::HostMemory);
        assert!((9..=10).contains(&f.combinations), "{f:?}");
        // the binding: the history ring of 2 combinations
        let mut l = gpu(1 << 40);
        l.max_storage_buffer = 2 * 100 * 68 * 4 + 3;
        let f = fit_limits(&l, &s, 0, None, 8192);
        assert_eq!((f.combinations, f.bound), (2, Bound::Binding));
        // not one fits
        l.max_storage_buffer = 100;
        assert_eq!(fit_limits(&l, &s, 0, None, 8192).combinations, 0);
        // lavapipe: device and host bytes against the host's memory
        let mut l = gpu(1 << 40);
        l.is_cpu = true;
        let both = per + s.host_bytes();
        let f = fit_limits(&l, &s, 0, Some(2 * 50 * both + 100_000), 8192);
        assert_eq!(f.bound, Bound::HostMemory);
        assert!((48..=50).contains(&f.combinations), "{f:?}");
    }

    /// The device analyses' sums count on the device (each its own
    /// buffer against the binding) and their read-back on the host.
    #[test]
    fn device_analyses_are_counted() {
        let plain = shape();
        let cfg = brainstream_models::analysis::AnalysisConfig {
            rates: vec!["V".into()],
            period_ms: 1.0,
            expected_samples: 60_000,
            fcd: Some((1000, 250)),
            spectrum: Some(1024),
            updown: Some((0.1, 0.2)),
        };
        let a = AnalysisShape::new(&cfg, 68, 8);
        assert_eq!(a.fcd_windows, 237);
        let with = BatchShape {
            analyses: Some(a),
            ..plain
        };
        let pairs = 68 * 69 / 2;
        let fc = 8 * 238 * (2 * 68 + pairs);
        let sums = 8 * 3 + fc + 4 * (8 * 68 + 1) + 8 * 68 * 1024 + 8 * 513 + 8 * 2048;
        assert_eq!(with.device_bytes(), plain.device_bytes() + sums);
        assert!(with.host_bytes() > plain.host_bytes() + fc);
        // the FC slots' buffer (4.7 MB a combination, the largest) bounds
        // the binding
        let mut l = gpu(1 << 40);
        l.max_storage_buffer = 3 * fc;
        let f = fit_limits(&l, &with, 0, None, 8192);
        assert_eq!((f.combinations, f.bound), (3, Bound::Binding));
    }

    #[test]
    fn the_host_memory_is_read() {
        if cfg!(target_os = "linux") {
            assert!(host_available().is_some_and(|b| b > 0));
        }
    }
}
