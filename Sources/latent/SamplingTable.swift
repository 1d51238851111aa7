import Foundation
import LatentBenchmarks

/// The sampling benchmark's output: a table per backend and sampler, then the speed ratio and the
/// largest difference between two backends' images (`latent bench sample` and `latent demo`).
enum SamplingTable {
    /// `runs` holds one list of measurements per backend, in the same sampler order.
    static func print(_ runs: [[SamplingMeasurement]]) {
        Swift.print(
            pad("backend", 9) + pad("sampler", 9) + pad("steps", 11) + pad("ms", 12) + pad("images/s", 12)
                + pad("peak MiB", 10) + "device")
        var extrapolated = 0
        for m in runs.joined() {
            let steps = m.extrapolated ? "\(m.stepsTimed)/\(m.stepsTotal)" : "\(m.stepsTotal)"
            let rate = String(format: "%.3g", m.imagesPerSecond) + (m.extrapolated ? "*" : "")
            if m.extrapolated { extrapolated = m.stepsTotal }
            Swift.print(
                pad(m.backend, 9) + pad(m.sampler, 9) + pad(steps, 11) + pad(String(format: "%.1f", m.ms), 12)
                    + pad(rate, 12) + pad(String(format: "%.1f", Double(m.peakBytes) / 1048576), 10) + m.device)
        }
        if extrapolated > 0 {
            Swift.print("* extrapolated to the full \(extrapolated)-step chain from the steps timed")
        }
        for p in comparisons(runs) {
            Swift.print(
                String(
                    format: "%@: %@/%@ time ratio %.2f (>1: %@ faster), max abs difference %.2e",
                    p.sampler, p.first, p.second, p.ratio, p.second, p.maxAbs))
        }
    }

    /// The sample_parity JSON lines.
    static func parity(_ runs: [[SamplingMeasurement]]) -> [[String: Any]] {
        comparisons(runs).map { p in
            [
                "op": "sample_parity", "sampler": p.sampler, "backends": "\(p.first),\(p.second)",
                "max_abs": p.maxAbs.isFinite ? Double(p.maxAbs) : "nan",
                "speed_ratio": p.ratio, "steps": p.steps,
            ]
        }
    }

    struct Comparison {
        let sampler: String
        let first: String
        let second: String
        let steps: Int
        /// Time on the first backend / time on the second.
        let ratio: Double
        let maxAbs: Float
    }

    /// The first backend against the second, sampler by sampler (nothing with one backend).
    static func comparisons(_ runs: [[SamplingMeasurement]]) -> [Comparison] {
        guard runs.count >= 2 else { return [] }
        return zip(runs[0], runs[1]).map { a, b in
            Comparison(
                sampler: a.sampler, first: a.backend, second: b.backend, steps: a.stepsTimed, ratio: a.ms / b.ms,
                maxAbs: SamplingBenchmark.maxAbsDifference(a.images, b.images))
        }
    }
}

extension SamplingMeasurement {
    /// A bench JSON line: ddim_sample or ddpm_sample.
    func jsonObject(model: String) -> [String: Any] {
        var object: [String: Any] = [
            "op": "\(sampler)_sample", "backend": backend, "device": device, "shape": "batch \(batch)", "ms": ms, "min_ms": ms,
            "images_per_s": imagesPerSecond, "steps_timed": stepsTimed, "steps_total": stepsTotal,
            "full_chain_ms": fullChainMs, "extrapolated": extrapolated, "peak_bytes": peakBytes, "base_bytes": baseBytes,
            "model": model, "launches_per_step": launchesPerStep, "host_syncs_per_step": hostSyncsPerStep,
            "uploads_per_step": Double(activity.uploads) / Double(max(stepsTimed, 1)),
        ]
        object["peak_rss_increase_bytes"] = peakRSSIncreaseBytes
        // The first step apart from the rest: a cold first step (buffers growing) against the steady cost.
        if let first = stepMs.first {
            object["first_step_ms"] = first
            object["first_step_page_faults"] = stepFaults.first ?? 0
        }
        if stepMs.count > 1 {
            let later = stepMs.dropFirst().sorted()
            object["later_steps_median_ms"] = later[later.count / 2]
            object["later_steps_page_faults_per_step"] = Double(stepFaults.dropFirst().reduce(0, +)) / Double(later.count)
        }
        // Where the launches go: per kernel and step (OpenCL; the CPU backend counts none).
        if !activity.launchesByKernel.isEmpty {
            object["launches_per_step_by_kernel"] = activity.launchesByKernel.mapValues { Double($0) / Double(max(stepsTimed, 1)) }
        }
        // LATENT_OPENCL_PROFILE=1: device milliseconds per kernel and step.
        if !activity.nanosecondsByKernel.isEmpty {
            object["kernel_ms_per_step_by_kernel"] = activity.nanosecondsByKernel.mapValues { Double($0) / 1e6 / Double(max(stepsTimed, 1)) }
        }
        return object
    }
}
