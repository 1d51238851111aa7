import Foundation
import Testing

@testable import LatentCompute

/// The CPU backend's vector erfc (behind the exact GELU and its gradient) against Float64 erfc.
@Suite struct VectorErfcTests {
    @Test func relativeErrorStaysBelowHalfAMillionthIncludingTheTail() {
        var worst = 0.0
        var y = -5.0
        while y <= 9 {
            var lanes = FloatVector()
            for i in 0..<FloatVector.scalarCount { lanes[i] = Float(y + Double(i) * 0.000_61) }
            let result = vectorErfc(lanes)
            for i in 0..<FloatVector.scalarCount {
                let exact = erfc(Double(lanes[i]))
                worst = max(worst, abs(Double(result[i]) - exact) / exact)
            }
            y += 0.01
        }
        // erfc(9) ≈ 4e-37 is still a normal Float; the fit alone is within 1.2e-7, Float arithmetic adds ~3e-7.
        #expect(worst < 5e-7, "worst relative error \(worst)")
    }

    @Test func geluVectorMatchesItsScalarDefinition() {
        var lanes = FloatVector()
        for i in 0..<FloatVector.scalarCount { lanes[i] = Float(i) * 0.8 - 6 }
        let vector = GeluOp.vector(lanes)
        for i in 0..<FloatVector.scalarCount {
            #expect(abs(vector[i] - GeluOp.scalar(lanes[i])) <= 1e-6 * max(1, abs(lanes[i])))
        }
    }
}
