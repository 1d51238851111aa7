import Foundation
import LatentCompute

/// The learned-variance part of the DiT / improved-DDPM hybrid objective: the network's extra C
/// channels v ∈ [−1, 1] interpolate log σ² = ((v + 1)/2)·log β_t + (1 − (v + 1)/2)·log β̃_t, and
/// L_vb (bits per dimension, batch mean) is KL(q(x_{t−1} | x_t, x_0) ‖ p(x_{t−1} | x_t)) with the model
/// mean from the detached ε, or the discretised decoder NLL at t = 0 — so only v learns from it.
/// The DiT recipe adds it unweighted to L_simple (loss = mse + vb).
extension GaussianDiffusion {
    /// log β_t per timestep, Float.
    var logBetas: [Float] { schedule.betas64.map { Float(Foundation.log($0)) } }

    /// log σ² of the model for the variance channels v [B, C, H, W] at per-sample t.
    func modelLogVariance(_ v: Tensor, timesteps: [Int]) throws -> Tensor {
        let minLog = try perSample(schedule.posteriorLogVarianceClipped, timesteps, on: v.device)
        let maxLog = try perSample(logBetas, timesteps, on: v.device)
        // min + (v + 1)/2·(max − min)
        return try minLog + (v + 1) * ((maxLog - minLog) * 0.5)
    }

    /// L_vb in bits per dimension, averaged over the batch. `epsilon` must be detached.
    func learnedVarianceTerm(epsilon: Tensor, v: Tensor, x0: Tensor, xt: Tensor, timesteps: [Int]) throws -> Tensor {
        guard configuration.prediction == .epsilon else {
            throw DiffusionError.invalidConfiguration("a learned variance needs ε-prediction, not \(configuration.prediction)")
        }
        let device = xt.device
        let batch = xt.shape[0], dims = xt.count / Swift.max(batch, 1)
        let logVariance = try modelLogVariance(v, timesteps: timesteps)
        let (c0, ct) = (
            try perSample(schedule.posteriorMeanCoefficientX0, timesteps, on: device),
            try perSample(schedule.posteriorMeanCoefficientXt, timesteps, on: device)
        )
        let (modelMean, trueMean, trueLogVariance) = try withoutGrad { () -> (Tensor, Tensor, Tensor) in
            let x0Hat =
                try (xt - perSample(schedule.sqrtOneMinusAlphasCumprod, timesteps, on: device) * epsilon)
                / perSample(schedule.sqrtAlphasCumprod, timesteps, on: device)
            return (
                try c0 * x0Hat + ct * xt, try c0 * x0 + ct * xt,
                try perSample(schedule.posteriorLogVarianceClipped, timesteps, on: device)
            )
        }
        // normal_kl(true, model) = ½(−1 + lv_m − lv_q + e^{lv_q − lv_m} + (μ_q − μ_m)²·e^{−lv_m})
        let squared = try (trueMean - modelMean).square()
        let kl =
            try
            ((logVariance - trueLogVariance).affine(scale: 1, shift: -1) + (trueLogVariance - logVariance).exp()
            + squared * logVariance.neg().exp()) * 0.5
        let nll = try decoderNLL(x0, mean: modelMean, logVariance: logVariance)
        let isFirst = try Tensor(timesteps.map { $0 == 0 ? Float(1) : 0 }, shape: [batch, 1, 1, 1], on: device)
        let perElement = try Tensor.select(isFirst, nll, kl)
        return try perElement.sum().affine(scale: Float(1 / (Double(batch * dims) * M_LN2)))
    }

    /// −log p(x) under N(mean, e^{logVariance}) discretised to 256 bins over [−1, 1] (improved-diffusion's
    /// tanh approximation of the normal CDF, edge bins open), per element.
    func decoderNLL(_ x: Tensor, mean: Tensor, logVariance: Tensor) throws -> Tensor {
        let device = x.device
        let inverseStd = try (logVariance * -0.5).exp()
        let centered = try x - mean
        func cdf(_ z: Tensor) throws -> Tensor {
            // ½(1 + tanh(√(2/π)(z + 0.044715 z³)))
            let inner = try (z + z * z * z * 0.044715) * Float((2 / Double.pi).squareRoot())
            return try inner.tanh().affine(scale: 0.5, shift: 0.5)
        }
        let plus = try cdf(inverseStd * (centered + Float(1.0 / 255.0)))
        let minus = try cdf(inverseStd * (centered + Float(-1.0 / 255.0)))
        let floor: Float = 1e-12, big = Float.greatestFiniteMagnitude
        let logPlus = try plus.clamped(floor, big).log()
        let logOneMinusMinus = try minus.affine(scale: -1, shift: 1).clamped(floor, big).log()
        let logDelta = try (plus - minus).clamped(floor, big).log()
        let low = try x.apply(.less, Tensor.full([], value: -0.999, on: device))
        let high = try x.apply(.greater, Tensor.full([], value: 0.999, on: device))
        return try Tensor.select(low, logPlus, Tensor.select(high, logOneMinusMinus, logDelta)).neg()
    }
}
