import Foundation
import Latent
import Testing

/// `latent train gmm`, `latent eval` and `latent sample` of a mixture, and their one-line errors.
@Suite struct GaussianMixtureCommandTests {
    /// A safetensors file with a tensor `x` of `rows` × 3 values (two clusters), optionally with a NaN.
    static func samplesFile(in folder: Scratch, rows: Int = 40, nanAt: Int? = nil) throws -> String {
        var values: [Float] = []
        for i in 0..<(rows * 3) {
            let cluster = Double((i / 3) % 2 * 6)
            values.append(Float(cluster + sin(Double(i * i) * 0.37)))
        }
        if let nanAt { values[nanAt] = Float.nan }
        let path = folder.file("x\(rows)-\(nanAt.map(String.init) ?? "").safetensors")
        try SafeTensors(tensors: ["x": SafeTensor(floats: values, shape: [rows, 3])]).write(to: path)
        return path
    }

    @Test func trainEvalAndSampleAMixture() throws {
        let folder = Scratch()
        let x = try Self.samplesFile(in: folder)
        let out = folder.file("gmm")
        let train = try latent(["train", "gmm", "--samples", x, "--components", "2", "--covariance-type", "full", "--out", out])
        #expect(train.status == 0, "\(train.error)")
        #expect(train.output.contains("converged    true"), "\(train.output) \(train.error) \(train.status)")
        let eval = try latent(["eval", out + "/checkpoint.safetensors", "--json", "--out", folder.file("eval")])
        #expect(eval.status == 0, "\(eval.error)")
        let figures = try JSONSerialization.jsonObject(with: Data(eval.output.utf8)) as? [String: Any]
        #expect(figures?["images"] as? Int == 40 && figures?["bic"] != nil && figures?["log_likelihood_nats"] != nil)
        let sample = try latent(["sample", out + "/checkpoint.safetensors", "--count", "5", "--out", folder.file("s")])
        #expect(sample.status == 0, "\(sample.error)")
        let drawn = try SafeTensors.read(folder.file("s/samples.safetensors"))
        #expect(drawn.tensors["samples"]?.shape == [5, 3])
    }

    @Test func badInputFailsWithOneLine() throws {
        let folder = Scratch()
        let cases: [([String], String)] = [
            (["--samples", try Self.samplesFile(in: folder, rows: 4), "--components", "5"], "n_components = 5 is more than the 4 samples"),
            (["--samples", try Self.samplesFile(in: folder, nanAt: 7), "--components", "2"], "NaN or infinite value (sample 2, feature 1)"),
            (["--samples", try Self.samplesFile(in: folder), "--components", "2", "--covariance-type", "cube"], "--covariance-type must be"),
        ]
        try expectOneLineErrors(cases.map { (["train", "gmm", "--out", folder.file("o")] + $0.0, [$0.1]) })
    }
}
