//! A sweep's analyses streamed on the device: after each sampling period
//! of a batch ([`crate::GpuBatch`]), `shaders/analysis.wgsl` adds the
//! period's averages of every combination to running sums held on the
//! device — the moments of the rates (Welford), FC's shifted sums of the
//! whole run and of every FCD window, the up/down state machines, the
//! spectrum's ring of the last `nfft` samples — and after a period that
//! completes a Welch segment `shaders/analysis_fft.wgsl` adds the segment's
//! periodograms. Only the sums come back, once, at the end
//! ([`DeviceAnalyses::results`]), and become the CPU analyses' own state
//! (`brainstream_models::analysis`: [`Finished`]), whose `row` gives the
//! sweep table's columns.
//!
//! The sums are in the batch's precision: f64 where the device has
//! shaderFloat64 (then they are the CPU's sums of the same f32 period
//! averages, in the same order, up to the device's contraction of
//! multiply-adds and the FFT's rounding against rustfft's), f32 elsewhere.

use std::sync::Arc;

use brainstream_models::analysis::fc::StreamingFc;
use brainstream_models::analysis::fcd::StreamingFcd;
use brainstream_models::analysis::moments::Moments;
use brainstream_models::analysis::spectrum::Welch;
use brainstream_models::analysis::updown::UpDown;
use brainstream_models::analysis::{AnalysisConfig, Finished, Parts};
use vulkano::buffer::{BufferUsage, Subbuffer};
use vulkano::command_buffer::{AutoCommandBufferBuilder, PrimaryAutoCommandBuffer};
use vulkano::descriptor_set::{DescriptorSet, WriteDescriptorSet};
use vulkano::pipeline::{ComputePipeline, Pipeline, PipelineBindPoint};

use crate::buffers::{
    compute_pipeline, copy_and_wait, device_buffer, host_buffer, run_once, upload,
};
use crate::device::GpuDevice;
use crate::error::{vk, GpuError};
use crate::shaders::Precision;

/// The analyses' kernel (its real type prepended at run time).
pub const ANALYSIS_WGSL: &str = include_str!("../shaders/analysis.wgsl");
/// The spectrum's FFT kernel (its real type and `NFFT` prepended).
pub const ANALYSIS_FFT_WGSL: &str = include_str!("../shaders/analysis_fft.wgsl");

/// Threads per workgroup along the combinations.
const WG: u32 = 64;
/// Most workgroups along x (the threads wrap onto y beyond it).
const MAX_GX: u32 = 65535;

/// What a batch's device analyses compute: `config` over the period
/// averages of the batch's outputs.
#[derive(Debug, Clone)]
pub struct AnalysisSpec {
    pub config: AnalysisConfig,
    /// Positions in the batch's outputs of the rates (`config.rates`' order).
    pub rate_outputs: Vec<usize>,
    /// Position in the batch's outputs of the analysed signal.
    pub signal_output: usize,
    /// Steps per period (the averages are the period sums over it).
    pub period_steps: usize,
    /// Whether `config`'s FCD (if any) is computed here: its windows' sums
    /// grow with the run ([`AnalysisShape`]); a caller whose combination's
    /// windows do not fit the device keeps FCD on the host.
    pub fcd: bool,
}

impl AnalysisSpec {
    /// What the device computes: `config`, without FCD unless `fcd`.
    pub fn on_device(&self) -> AnalysisConfig {
        let mut c = self.config.clone();
        if !self.fcd {
            c.fcd = None;
        }
        c
    }
}

/// The device analyses' memory for one combination (see
/// `shaders/analysis.wgsl`'s layouts), in the arithmetic of the sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnalysisShape {
    /// Bytes of one sum: 8 (f64) or 4 (f32).
    pub real_bytes: u64,
    pub n: usize,
    pub rates: usize,
    /// Complete FCD windows (0 without FCD).
    pub fcd_windows: usize,
    /// Welch segment, samples (0 without spectrum).
    pub nfft: usize,
}

impl AnalysisShape {
    /// For `config` over `n` regions, sums of `real_bytes`.
    pub fn new(config: &AnalysisConfig, n: usize, real_bytes: u64) -> Self {
        Self {
            real_bytes,
            n,
            rates: config.rates.len(),
            fcd_windows: config.fcd.map_or(0, |(w, s)| {
                StreamingFcd::complete_windows(config.expected_samples, w.max(2), s.max(1))
            }),
            nfft: config.spectrum.map_or(0, |f| f.max(4)),
        }
    }

    fn pairs(&self) -> u64 {
        (self.n * (self.n + 1) / 2) as u64
    }

    /// Bytes per combination of each device buffer: moments, FC slots
    /// (the whole run and each FCD window: shift, sum, pair sums), up/down
    /// counters and the divergence flag, the spectrum's ring, its
    /// periodogram sum and the FFT's scratch.
    pub fn device_buffers(&self) -> [u64; 6] {
        let (r, n) = (self.real_bytes, self.n as u64);
        let nfft = self.nfft as u64;
        [
            r * 3 * self.rates as u64,
            r * (1 + self.fcd_windows as u64) * (2 * n + self.pairs()),
            4 * (8 * n + 1),
            r * n * nfft,
            if nfft > 0 { r * (nfft / 2 + 1) } else { 0 },
            r * 2 * nfft,
        ]
    }

    /// Device bytes independent of the combinations: the header and pairs,
    /// the constants.
    pub fn device_fixed(&self) -> u64 {
        4 * (14 + self.rates as u64 + self.pairs()) + self.real_bytes * (4 + 2 * self.nfft as u64)
    }

    /// Host bytes per combination at the end: the read-back of the sums
    /// (moments, FC slots, counters, periodogram) and the CPU analyses'
    /// state made from them (f64 FC sums and triangles, FCD windows).
    pub fn host_bytes(&self) -> u64 {
        let b = self.device_buffers();
        let read = b[0] + b[1] + b[2] + b[4];
        let n = self.n as u64;
        let slots = 1 + self.fcd_windows as u64;
        let state = 8 * slots * (2 * n + self.pairs() + n * n.saturating_sub(1) / 2);
        read + state
    }
}

/// One combination's device analyses at the end.
#[derive(Debug, Clone)]
pub struct DeviceRow {
    /// The parts computed on the device.
    pub parts: Parts,
    /// The first period (counting from 0) whose averages were not finite:
    /// the combination diverged there (its sums are meaningless).
    pub diverged_period: Option<u32>,
    /// The analyses, for `Analyzer::fill`.
    pub finished: Finished,
}

/// Sums of a batch's analyses on its device.
pub(crate) struct DeviceAnalyses {
    spec: AnalysisSpec,
    main: Arc<ComputePipeline>,
    main_set: Arc<DescriptorSet>,
    fft: Option<(Arc<ComputePipeline>, Arc<DescriptorSet>)>,
    clock: Subbuffer<[u32]>,
    mom: Subbuffer<[u32]>,
    fc: Subbuffer<[u32]>,
    ud: Subbuffer<[u32]>,
    psd: Subbuffer<[u32]>,
    shape: AnalysisShape,
    c: usize,
    groups: [u32; 3],
    check_groups: [u32; 3],
    f64: bool,
    /// Periods run, analysed samples so far, Welch segments so far.
    periods: u32,
    samples: usize,
    segments: usize,
}

/// `v` as the words of `real` (f64: two little-endian words each).
fn words(v: &[f64], f64: bool) -> Vec<u32> {
    if f64 {
        v.iter()
            .flat_map(|x| {
                let b = x.to_bits();
                [b as u32, (b >> 32) as u32]
            })
            .collect()
    } else {
        v.iter().map(|x| (*x as f32).to_bits()).collect()
    }
}

/// The reals `words` hold.
fn reals(w: &[u32], f64: bool) -> Vec<f64> {
    if f64 {
        w.chunks_exact(2)
            .map(|p| f64::from_bits(p[0] as u64 | (p[1] as u64) << 32))
            .collect()
    } else {
        w.iter().map(|x| f32::from_bits(*x) as f64).collect()
    }
}

/// The SPIR-V of `src` with `prefix` prepended.
fn compile(prefix: &str, src: &str, what: &str) -> Result<Vec<u32>, GpuError> {
    crate::spirv::compile(&format!("{prefix}\n{src}")).map_err(|cause| GpuError::Kernel {
        model: what.into(),
        cause,
    })
}

impl DeviceAnalyses {
    /// The analyses of `spec` over the batch's period sums `acc`
    /// (`outputs × n × c`, combination innermost) in `precision`.
    pub(crate) fn new(
        dev: &Arc<GpuDevice>,
        spec: &AnalysisSpec,
        acc: &Subbuffer<[f32]>,
        n: usize,
        nout: usize,
        c: usize,
        precision: Precision,
    ) -> Result<Self, GpuError> {
        let mut spec = spec.clone();
        spec.config = spec.on_device();
        let cfg = &spec.config;
        let f64 = precision == Precision::F64;
        let shape = AnalysisShape::new(cfg, n, if f64 { 8 } else { 4 });
        if n > 0xffff {
            return Err(GpuError::Unsupported(format!(
                "device analyses of {n} regions: at most 65535"
            )));
        }
        if spec.rate_outputs.len() != cfg.rates.len()
            || spec
                .rate_outputs
                .iter()
                .chain([&spec.signal_output])
                .any(|&o| o >= nout)
        {
            return Err(GpuError::Unsupported(format!(
                "device analyses: rates at outputs {:?} and the signal at {} of {nout} outputs",
                spec.rate_outputs, spec.signal_output
            )));
        }
        let nfft = shape.nfft;
        if nfft > 0 && !nfft.is_power_of_two() {
            return Err(GpuError::Unsupported(format!(
                "device spectrum: segments of {nfft} samples, not a power of two"
            )));
        }
        let (w, s) = cfg.fcd.map_or((0, 1), |(w, s)| (w.max(2), s.max(1)));
        // one thread per (task, combination), flat; a period outside the
        // analysed span runs task 0 (the divergence check) alone
        let threads = (1 + n + n * (n + 1) / 2) as u64 * c as u64;
        let wgs = threads.div_ceil(WG as u64);
        let gx = wgs.min(MAX_GX as u64) as u32;
        let gy = wgs.div_ceil(gx as u64);
        if gy > MAX_GX as u64 {
            return Err(GpuError::Unsupported(format!(
                "device analyses of {c} combinations × {n} regions: {threads} threads a dispatch, too many (fewer combinations per batch)"
            )));
        }
        let groups = [gx, gy as u32, 1];
        let check_groups = [(c as u32).div_ceil(WG), 1, 1];
        let npair = n * (n + 1) / 2;
        let mut ints = vec![
            c as u32,
            n as u32,
            nout as u32,
            cfg.rates.len() as u32,
            spec.signal_output as u32,
            gx * WG,
            npair as u32,
            shape.fcd_windows as u32,
            w as u32,
            s as u32,
            cfg.updown.is_some() as u32,
            nfft as u32,
            14,
            14 + cfg.rates.len() as u32,
        ];
        ints.extend(spec.rate_outputs.iter().map(|&o| o as u32));
        for i in 0..n {
            for j in i..n {
                ints.push(((i as u32) << 16) | j as u32);
            }
        }
        let (lo, hi) = cfg.updown.unwrap_or((0.0, 0.0));
        let mut consts = vec![1.0 / spec.period_steps.max(1) as f64, lo, hi];
        if nfft > 0 {
            let fs_hz = 1000.0 / cfg.period_ms;
            let window: Vec<f64> = (0..nfft).map(|t| Welch::hann(t, nfft)).collect();
            let u: f64 = window.iter().map(|w| w * w).sum();
            consts.push(1.0 / (fs_hz * u));
            consts.extend(&window);
            let angle = |q: usize| -2.0 * std::f64::consts::PI * q as f64 / nfft as f64;
            consts.extend((0..nfft / 2).map(|q| angle(q).cos()));
            consts.extend((0..nfft / 2).map(|q| angle(q).sin()));
        }
        let ints_b = upload(dev, &ints)?;
        let consts_b = upload(dev, &words(&consts, f64))?;
        let [b_mom, b_fc, b_ud, b_ring, b_psd, b_scratch] = shape.device_buffers();
        let buf = |bytes: u64| device_buffer::<u32>(dev, ((bytes / 4) as usize * c).max(2));
        let (mom, fc, ud, ring, psd, scratch) = (
            buf(b_mom)?,
            buf(b_fc)?,
            buf(b_ud)?,
            buf(b_ring)?,
            buf(b_psd)?,
            buf(b_scratch)?,
        );
        // zero sums, no divergence (0xffffffff)
        run_once(dev, |b| {
            for x in [&mom, &fc, &ud, &psd] {
                b.fill_buffer(x.clone(), 0).map_err(vk)?;
            }
            let flags = (8 * n * c) as u64;
            b.fill_buffer(ud.clone().slice(flags..flags + c as u64), u32::MAX)
                .map_err(vk)?;
            Ok(())
        })?;
        let clock = host_buffer(dev, BufferUsage::STORAGE_BUFFER, [0u32; 4].into_iter())?;
        let real = format!("alias real = {};", precision.ty());
        let main_words = compile(&real, ANALYSIS_WGSL, "the device analyses")?;
        let main = compute_pipeline(dev, &main_words, 0, "the analyses' kernel")?;
        let main_set = DescriptorSet::new(
            dev.descriptors.clone(),
            main.layout().set_layouts()[0].clone(),
            [
                WriteDescriptorSet::buffer(0, acc.clone()),
                WriteDescriptorSet::buffer(1, ints_b.clone()),
                WriteDescriptorSet::buffer(2, consts_b.clone()),
                WriteDescriptorSet::buffer(3, mom.clone()),
                WriteDescriptorSet::buffer(4, fc.clone()),
                WriteDescriptorSet::buffer(5, ud.clone()),
                WriteDescriptorSet::buffer(6, ring.clone()),
                WriteDescriptorSet::buffer(7, clock.clone()),
            ],
            [],
        )
        .map_err(vk)?;
        let fft = if nfft > 0 {
            let prefix = format!(
                "{real}\nconst NFFT: u32 = {nfft}u;\nconst LOG2_NFFT: u32 = {}u;",
                nfft.trailing_zeros()
            );
            let words = compile(&prefix, ANALYSIS_FFT_WGSL, "the device spectrum")?;
            let p = compute_pipeline(dev, &words, 0, "the spectrum's kernel")?;
            let set = DescriptorSet::new(
                dev.descriptors.clone(),
                p.layout().set_layouts()[0].clone(),
                [
                    WriteDescriptorSet::buffer(0, ints_b),
                    WriteDescriptorSet::buffer(1, consts_b),
                    WriteDescriptorSet::buffer(2, ring),
                    WriteDescriptorSet::buffer(3, psd.clone()),
                    WriteDescriptorSet::buffer(4, scratch),
                    WriteDescriptorSet::buffer(5, clock.clone()),
                ],
                [],
            )
            .map_err(vk)?;
            Some((p, set))
        } else {
            None
        };
        Ok(Self {
            spec,
            main,
            main_set,
            fft,
            clock,
            mom,
            fc,
            ud,
            psd,
            shape,
            c,
            groups,
            check_groups,
            f64,
            periods: 0,
            samples: 0,
            segments: 0,
        })
    }

    /// Whether the next period, analysed or not, completes a Welch segment.
    pub(crate) fn next_completes_segment(&self, analysed: bool) -> bool {
        analysed
            && self.shape.nfft > 0
            && Welch::completes_segment(self.samples + 1, self.shape.nfft)
    }

    /// Appends the analyses of one period to `b` (`analysed`: its sample
    /// counts, else the divergence check alone), and the spectrum's FFT
    /// when `fft`.
    pub(crate) fn record(
        &self,
        b: &mut AutoCommandBufferBuilder<PrimaryAutoCommandBuffer>,
        analysed: bool,
        fft: bool,
    ) -> Result<(), GpuError> {
        b.bind_pipeline_compute(self.main.clone()).map_err(vk)?;
        b.bind_descriptor_sets(
            PipelineBindPoint::Compute,
            self.main.layout().clone(),
            0,
            self.main_set.clone(),
        )
        .map_err(vk)?;
        // SAFETY: the kernel bounds-checks the combination and task against
        // its header and indexes only inside the buffers built for them.
        let groups = if analysed {
            self.groups
        } else {
            self.check_groups
        };
        unsafe { b.dispatch(groups) }.map_err(vk)?;
        if let (true, Some((p, set))) = (fft, &self.fft) {
            b.bind_pipeline_compute(p.clone()).map_err(vk)?;
            b.bind_descriptor_sets(
                PipelineBindPoint::Compute,
                p.layout().clone(),
                0,
                set.clone(),
            )
            .map_err(vk)?;
            // SAFETY: one workgroup per combination, each inside its own
            // columns of the buffers.
            unsafe { b.dispatch([self.c as u32, 1, 1]) }.map_err(vk)?;
        }
        Ok(())
    }

    /// Before submitting a period: says the kernels which period it is and
    /// whether its sample is analysed.
    pub(crate) fn before(&self, analysed: bool) -> Result<(), GpuError> {
        let mut clk = self.clock.write().map_err(vk)?;
        clk[0] = self.periods;
        clk[1] = analysed as u32;
        clk[2] = self.samples as u32;
        Ok(())
    }

    /// After the period ran.
    pub(crate) fn after(&mut self, analysed: bool, fft: bool) {
        self.periods += 1;
        if analysed {
            self.samples += 1;
        }
        if fft {
            self.segments += 1;
        }
    }

    /// The analyses of every combination so far, read back from the device.
    pub(crate) fn results(&self, dev: &Arc<GpuDevice>) -> Result<Vec<DeviceRow>, GpuError> {
        let read = |src: &Subbuffer<[u32]>| -> Result<Vec<u32>, GpuError> {
            let len = src.len();
            let dst = host_buffer(
                dev,
                BufferUsage::TRANSFER_DST,
                std::iter::repeat_n(0u32, len as usize),
            )?;
            copy_and_wait(dev, src.clone(), dst.clone())?;
            let r = dst.read().map_err(vk)?;
            Ok(r.to_vec())
        };
        let (c, n, f64) = (self.c, self.shape.n, self.f64);
        let cfg = &self.spec.config;
        let mom = reals(&read(&self.mom)?, f64);
        let fc = reals(&read(&self.fc)?, f64);
        let ud = read(&self.ud)?;
        let psd = match self.shape.nfft {
            0 => vec![],
            _ => reals(&read(&self.psd)?, f64),
        };
        let npair = n * (n + 1) / 2;
        let slot_len = 2 * n + npair;
        let samples = self.samples as u64;
        // value q of slot s of combination k
        let fc_slot = |s: usize, k: usize, count: u64| {
            let at = |q: usize| fc[(s * slot_len + q) * c + k];
            StreamingFc::from_sums(
                n,
                count,
                (0..n).map(at).collect(),
                (n..2 * n).map(at).collect(),
                (2 * n..slot_len).map(at).collect(),
            )
        };
        let mut rows = Vec::with_capacity(c);
        for k in 0..c {
            let flag = ud[8 * n * c + k];
            let mut done = Finished {
                moments: Some(
                    (0..cfg.rates.len())
                        .map(|r| {
                            let q = |x: usize| mom[(r * 3 + x) * c + k];
                            Moments::from_parts(samples * n as u64, q(0), q(1), q(2))
                        })
                        .collect(),
                ),
                fc: fc_slot(0, k, samples),
                ..Default::default()
            };
            if let Some((w, s)) = cfg.fcd {
                let (w, s) = (w.max(2), s.max(1));
                let m =
                    StreamingFcd::complete_windows(self.samples, w, s).min(self.shape.fcd_windows);
                let closed = (0..m)
                    .map(|q| fc_slot(1 + q, k, w as u64).map(|f| f.upper()))
                    .collect::<Option<Vec<_>>>();
                done.fcd = closed.map(|cl| StreamingFcd::from_windows(n, w, s, cl));
            }
            if cfg.updown.is_some() {
                let u = |i: usize, q: usize| ud[(i * 8 + q) * c + k] as u64;
                let per: Vec<(u64, u64, u64, u64)> = (0..n)
                    .map(|i| (u(i, 2), u(i, 3), u(i, 4), u(i, 5)))
                    .collect();
                let up: u64 = (0..n).map(|i| u(i, 6)).sum();
                let classified: u64 = (0..n).map(|i| u(i, 7)).sum();
                done.updown = Some(UpDown::from_counts(cfg.period_ms, &per, up, classified));
            }
            if self.shape.nfft > 0 {
                let nfft = self.shape.nfft;
                let sum: Vec<f64> = (0..=nfft / 2).map(|q| psd[q * c + k]).collect();
                done.spectrum =
                    Welch::from_psd_sum(n, nfft, 1000.0 / cfg.period_ms, sum, self.segments);
            }
            rows.push(DeviceRow {
                parts: Parts::ALL.of(cfg),
                diverged_period: (flag != u32::MAX).then_some(flag),
                finished: done,
            });
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both kernels compile (naga) in both arithmetics, whatever the
    /// device: a broken kernel is found without one.
    #[test]
    fn the_kernels_compile_in_f64_and_f32() {
        for ty in ["f64", "f32"] {
            let real = format!("alias real = {ty};");
            compile(&real, ANALYSIS_WGSL, "analysis").unwrap_or_else(|e| panic!("{ty}: {e}"));
            let fft = format!("{real}\nconst NFFT: u32 = 256u;\nconst LOG2_NFFT: u32 = 8u;");
            compile(&fft, ANALYSIS_FFT_WGSL, "fft").unwrap_or_else(|e| panic!("{ty}: {e}"));
        }
    }

    #[test]
    fn reals_survive_their_words() {
        let v = [1.0, -2.5e-300, f64::MAX, 0.1];
        assert_eq!(reals(&words(&v, true), true), v);
        assert_eq!(reals(&words(&[0.5, 3.0], false), false), [0.5, 3.0]);
    }
}
