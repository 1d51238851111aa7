import Foundation
import Testing
@testable import LatentCompute

/// Hand-computed examples of the CPU copy, elementwise, reduce and random kernels (the registry's
/// cases run in ParityTests).
@Suite struct CPUKernelTests {
    // MARK: hand-computed examples

    let cpu = CPUDevice(threads: 2)

    @Test func broadcastAdd() throws {
        // [2,1,3] + [4,1] -> [2,4,3]: out[i,j,k] = a[i,0,k] + b[j,0].
        let a: [Float] = [1, 2, 3, 10, 20, 30], b: [Float] = [100, 200, 300, 400]
        let out = try cpu.makeBuffer(byteCount: 24 * 4)
        try cpu.binary(.add, try cpu.upload(a), try cpu.upload(b), out, layout: BroadcastLayout(shapes: [[2, 1, 3], [4, 1]])!)
        let expected: [Double] = [
            101, 102, 103, 201, 202, 203, 301, 302, 303, 401, 402, 403,
            110, 120, 130, 210, 220, 230, 310, 320, 330, 410, 420, 430,
        ]
        #expect(try cpu.download(out, count: 24) == expected)
    }

    @Test func comparisonsAndSelect() throws {
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [2, 2, 2, 2]
        let out = try cpu.makeBuffer(byteCount: 16)
        let layout = BroadcastLayout(shapes: [[4], [4]])!
        try cpu.binary(.lessEqual, try cpu.upload(a), try cpu.upload(b), out, layout: layout)
        #expect(try cpu.download(out, count: 4) == [1, 1, 0, 0])
        try cpu.binary(.pow, try cpu.upload(a), try cpu.upload([Float](repeating: 2, count: 4)), out, layout: layout)
        #expect(try cpu.download(out, count: 4) == [1, 4, 9, 16])
        // where(cond [2,1], a [3], b scalar)
        let selected = try cpu.makeBuffer(byteCount: 24)
        try cpu.select(
            try cpu.upload([Float]([1, 0])), try cpu.upload([Float]([5, 6, 7])), try cpu.upload([Float]([-1])),
            selected, layout: BroadcastLayout(shapes: [[2, 1], [3], []])!)
        #expect(try cpu.download(selected, count: 6) == [5, 6, 7, -1, -1, -1])
    }

    @Test func unaryExamples() throws {
        let x: [Float] = [-2, -0.5, 0, 1]
        let out = try cpu.makeBuffer(byteCount: 16)
        try cpu.unary(.relu, try cpu.upload(x), out, count: 4)
        #expect(try cpu.download(out, count: 4) == [0, 0, 0, 1])
        try cpu.unary(.gelu, try cpu.upload(x), out, count: 4)
        let gelu = try cpu.download(out, count: 4)
        // 0.5·x·(1 + erf(x/√2)) at -2, -0.5, 0, 1.
        for (g, e) in zip(gelu, [-0.04550026389635842, -0.15426876936299347, 0, 0.8413447460685429]) {
            #expect(abs(g - e) < 1e-6)
        }
        try cpu.clamp(try cpu.upload(x), out, count: 4, lower: -1, upper: 0.5)
        #expect(try cpu.download(out, count: 4) == [-1, -0.5, 0, 0.5])
        try cpu.axpby(alpha: 2, try cpu.upload(x), beta: -1, try cpu.upload([Float]([1, 1, 1, 1])), out, count: 4)
        #expect(try cpu.download(out, count: 4) == [-5, -2, -1, 1])
    }

    @Test func stridedCopyTransposeAndGather() throws {
        // [2,3] transposed into [3,2].
        let x: [Float] = [1, 2, 3, 4, 5, 6]
        let out = try cpu.makeBuffer(byteCount: 24)
        try cpu.copyStrided(try cpu.upload(x), out, layout: StridedCopyLayout(shape: [2, 3], xStrides: [3, 1], outStrides: [1, 2]))
        #expect(try cpu.download(out, count: 6) == [1, 4, 2, 5, 3, 6])
        // gather rows 2, 0, 5 (out of range) of a [3,2] table.
        try cpu.gather(try cpu.upload(x), indices: try cpu.upload([Int32]([2, 0, 5])), out, indexCount: 3, rowLength: 2, tableRows: 3)
        #expect(try cpu.download(out, count: 6) == [5, 6, 1, 2, 0, 0])
        // scatter-add rows into [2,2] zeros: indices 1, 1, -1, 0.
        let acc = try cpu.upload([Float](repeating: 0, count: 4))
        try cpu.scatterAdd(
            try cpu.upload([Float]([1, 2, 3, 4, 5, 6, 7, 8])), indices: try cpu.upload([Int32]([1, 1, -1, 0])), acc,
            indexCount: 4, rowLength: 2, outRows: 2)
        #expect(try cpu.download(acc, count: 4) == [7, 8, 4, 6])
    }

    @Test func reduceExamples() throws {
        // x [2, 3, 2]: reduce the middle axis.
        let x: [Float] = [1, 6, 5, 2, 3, 4, -1, 0, -3, 2, 7, 2]
        let b = try cpu.upload(x)
        let out = try cpu.makeBuffer(byteCount: 24)
        try cpu.reduce(.sum, b, out, outer: 2, length: 3, inner: 2)
        #expect(try cpu.download(out, count: 4) == [9, 12, 3, 4])
        try cpu.reduce(.max, b, out, outer: 2, length: 3, inner: 2)
        #expect(try cpu.download(out, count: 4) == [5, 6, 7, 2])
        try cpu.reduce(.argmax, b, out, outer: 2, length: 3, inner: 2)
        #expect(try cpu.downloadIndices(out, count: 4) == [1, 0, 2, 1])  // ties at 2 keep index 1
        try cpu.reduce(.argmin, b, out, outer: 2, length: 3, inner: 2)
        #expect(try cpu.downloadIndices(out, count: 4) == [0, 1, 1, 0])
        try cpu.reduce(.variance, b, out, outer: 4, length: 3, inner: 1)
        // rows [1,6,5], [2,3,4], [-1,0,-3], [2,7,2]
        let v = try cpu.download(out, count: 4)
        for (got, want) in zip(v, [14.0 / 3, 2.0 / 3, 14.0 / 9, 50.0 / 9]) { #expect(abs(got - want) < 1e-6) }
        try cpu.softmax(try cpu.upload([Float]([0, 0, Float(2).squareRoot(), 1000, 1000, 1000])), out, rows: 2, columns: 3, log: false)
        let s = try cpu.download(out, count: 6)
        #expect(abs(s[3] - 1.0 / 3) < 1e-7 && abs(s[0] - s[1]) == 0 && abs(s[0] + s[1] + s[2] - 1) < 1e-6)
    }

    @Test func vectorExpAccuracy() {
        var worst = 0.0
        for start in stride(from: Float(-87), to: 88, by: 0.37) {
            var x = FloatVector()
            for i in 0..<16 { x[i] = start + Float(i) * 0.0213 }
            let e = vectorExp(x)
            for i in 0..<16 where x[i] < 88.7 {
                let exact = Foundation.exp(Double(x[i]))
                worst = max(worst, abs(Double(e[i]) - exact) / exact)
            }
        }
        #expect(worst < 3e-7, "worst relative error \(worst)")
        var special = FloatVector(repeating: 0)
        special[1] = -.infinity
        special[3] = .nan
        special[4] = -100
        special[6] = 1
        let e = vectorExp(special)
        #expect(e[0] == 1 && e[1] == 0 && e[3].isNaN && e[4] == 0)
        // Lanes above 88.37 send the vector through libm.
        var large = special
        large[2] = .infinity
        large[5] = 100
        large[7] = 88.5
        let l = vectorExp(large)
        #expect(l[2] == .infinity && l[5] == .infinity && abs(Double(l[7]) / Foundation.exp(88.5) - 1) < 3e-7)
        #expect(abs(e[6] - 2.7182817) <= 2.4e-7)
    }

    @Test func emptyAndRankZero() throws {
        let out = try cpu.makeBuffer(byteCount: 4)
        try cpu.binary(.mul, try cpu.upload([Float]([3])), try cpu.upload([Float]([4])), out, layout: BroadcastLayout(shapes: [[], []])!)
        #expect(try cpu.download(out, count: 1) == [12])
        try cpu.reduce(.sum, try cpu.upload([Float]([1])), out, outer: 1, length: 0, inner: 1)
        #expect(try cpu.download(out, count: 1) == [0])
    }
}
