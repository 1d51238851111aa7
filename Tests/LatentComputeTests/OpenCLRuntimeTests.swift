import Foundation
@testable import LatentCompute
import Testing

/// The OpenCL runtime (discovery, device sharing, program building and caching, buffer pool, queueing)
/// and numeric sanity checks of the copy, elementwise and reduce kernels on the PoCL device.
@Suite struct OpenCLRuntimeTests {
    let device: OpenCLDevice

    init() throws {
        device = try concreteOpenCLDevice()
    }

    func upload(_ values: [Float]) throws -> any DeviceBuffer {
        let buffer = try device.makeBuffer(byteCount: values.count * 4)
        try values.withUnsafeBytes { try device.write($0, to: buffer, byteOffset: 0) }
        return buffer
    }

    func uploadInts(_ values: [Int32]) throws -> any DeviceBuffer {
        let buffer = try device.makeBuffer(byteCount: values.count * 4)
        try values.withUnsafeBytes { try device.write($0, to: buffer, byteOffset: 0) }
        return buffer
    }

    func download(_ buffer: any DeviceBuffer, _ count: Int) throws -> [Float] {
        var values = [Float](repeating: .nan, count: count)
        try values.withUnsafeMutableBytes { try device.read(buffer, byteOffset: 0, into: $0) }
        return values
    }

    func downloadInts(_ buffer: any DeviceBuffer, _ count: Int) throws -> [Int32] {
        var values = [Int32](repeating: -7, count: count)
        try values.withUnsafeMutableBytes { try device.read(buffer, byteOffset: 0, into: $0) }
        return values
    }

    func close(_ a: [Float], _ b: [Float], tolerance: Float = 1e-5) -> Bool {
        a.count == b.count
            && zip(a, b).allSatisfy { x, y in
                x == y || (x.isNaN && y.isNaN) || abs(x - y) <= tolerance * max(1, abs(y))
            }
    }

    /// Deterministic test values in [-range, range].
    func values(_ count: Int, seed: UInt64 = 1, range: Float = 3) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * range
        }
    }

    // MARK: runtime

    @Test func discoveryFindsPoCLWithItsProperties() throws {
        let devices = try OpenCLRuntime.discover()
        let pocl = try #require(devices.first { $0.platformName.contains("Portable Computing Language") })
        #expect(pocl.type == "cpu")
        #expect(pocl.computeUnits > 0 && pocl.globalMemoryBytes > 0 && pocl.localMemoryBytes > 0)
        #expect(pocl.maxWorkGroupSize > 0)
        #expect(pocl.openCLCVersion.hasPrefix("OpenCL C"))
        #expect(!pocl.driverVersion.isEmpty)
        #expect(pocl.fp16 == false && pocl.fp64 == true)
        // The cached result is the same on every call.
        #expect(try OpenCLRuntime.discover().map(\.name) == devices.map(\.name))
    }

    /// Without an ICD loader, loading fails with an error that says what to install (the process keeps
    /// running and `auto` falls back to the CPU backend).
    @Test func aMissingLoaderIsAClearError() {
        switch OpenCLAPI.load(libraries: ["/nonexistent/libOpenCL.so.1"]) {
        case .success: Issue.record("a missing loader loaded")
        case let .failure(error):
            #expect(error.description.contains("no OpenCL ICD loader") && error.description.contains("ocl-icd-libopencl1"))
        }
        #expect((try? OpenCLAPI.load().get()) != nil)
    }

    @Test func everyCallerSharesOneDeviceObject() throws {
        let again = try DeviceSelection.resolve(.opencl)
        let same = (again as? OpenCLDevice).map { $0 === device } ?? false
        #expect(same)
        let info = device.info
        let direct = try OpenCLRuntime.device(platform: info.platformIndex, device: info.deviceIndex)
        let identical = direct === device
        #expect(identical)
        #expect(device.usesCPUShapedKernels)
    }

    @Test func aBadDeviceIndexListsTheAvailableDevices() throws {
        do {
            _ = try OpenCLRuntime.device(platform: 99, device: 0)
            Issue.record("opencl:99:0 should not exist")
        } catch let ComputeError.deviceUnavailable(message) {
            #expect(message.contains("opencl:99:0") && message.contains("available: opencl:0:0"))
        }
    }

    @Test func aSyntaxErrorThrowsProgramBuildWithTheLog() throws {
        let source = "__kernel void broken(__global float* x) { x[0] = undeclared_name + ; }"
        do {
            _ = try device.buildProgram(source: source, options: "", family: "broken", cache: nil)
            Issue.record("the broken program built")
        } catch let ComputeError.programBuild(family, deviceName, log) {
            #expect(family == "broken")
            #expect(deviceName == device.name)
            #expect(log.contains("undeclared_name"))
        }
    }

    @Test func programBinariesAreCachedOnDisk() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("latent-cl-cache-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cache = OpenCLProgramDiskCache(directory: directory)
        let source = "__kernel void twice(__global float* x) { x[get_global_id(0)] *= 2.0f; } // \(UUID())"
        let first = try device.buildProgram(source: source, options: "-DX=1", family: "t", cache: cache)
        #expect(!first.fromDiskCache)
        let key = OpenCLProgramDiskCache.key(
            source: source, options: "-cl-std=CL1.2 -DX=1", deviceName: device.name,
            driverVersion: device.info.driverVersion)
        #expect(FileManager.default.fileExists(atPath: cache.path(forKey: key)))
        // Nothing but the finished binary is left in the directory (the temporary file was renamed).
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == [key + ".bin"])
        let second = try device.buildProgram(source: source, options: "-DX=1", family: "t", cache: cache)
        #expect(second.fromDiskCache)
        // A corrupt binary falls back to compiling the source.
        #expect(cache.store(key: key, bytes: [1, 2, 3]))
        #expect(try !device.buildProgram(source: source, options: "-DX=1", family: "t", cache: cache).fromDiskCache)
        // Everything that shapes a binary changes the key.
        let other = [
            OpenCLProgramDiskCache.key(
                source: source + " ", options: "-cl-std=CL1.2 -DX=1", deviceName: device.name, driverVersion: device.info.driverVersion),
            OpenCLProgramDiskCache.key(
                source: source, options: "-cl-std=CL1.2 -DX=2", deviceName: device.name, driverVersion: device.info.driverVersion),
            OpenCLProgramDiskCache.key(source: source, options: "-cl-std=CL1.2 -DX=1", deviceName: "other", driverVersion: device.info.driverVersion),
            OpenCLProgramDiskCache.key(source: source, options: "-cl-std=CL1.2 -DX=1", deviceName: device.name, driverVersion: "9"),
        ]
        #expect(Set(other + [key]).count == 5)
        #expect(key.count == 32)
    }

    @Test func anUnwritableCacheIsNotFatal() throws {
        let cache = OpenCLProgramDiskCache(directory: "/proc/latent-cannot-write-here")
        #expect(!cache.store(key: "k", bytes: [1]))
        let built = try device.buildProgram(
            source: "__kernel void k(__global int* x) { x[0] = 1; }", options: "",
            cache: cache)
        #expect(!built.fromDiskCache)
    }

    @Test func sizeClassesCoverRequestsWithLittleWaste() {
        #expect(OpenCLBufferPool.sizeClass(0) == 256)
        #expect(OpenCLBufferPool.sizeClass(256) == 256)
        #expect(OpenCLBufferPool.sizeClass(257) == 288)
        #expect(OpenCLBufferPool.sizeClass(1 << 20) == 1 << 20)
        for bytes in [1, 300, 1000, 4097, 123_457, 1 << 20 | 1, 77_777_777] {
            let size = OpenCLBufferPool.sizeClass(bytes)
            #expect(size >= bytes && (bytes <= 256 || Double(size) <= Double(bytes) * 1.125 + 1))
            #expect(OpenCLBufferPool.sizeClass(size) == size)
        }
    }

    @Test func thePoolReusesFreedBuffersAndCountsBytes() throws {
        // A private pool on the shared context, so that other tests' buffers do not move the counts.
        let pool = OpenCLBufferPool(
            api: device.api, context: device.context, deviceName: device.name,
            maxAllocationBytes: device.maxAllocationBytes, maxPooledBytes: 1 << 20)
        var a: OpenCLBuffer? = try pool.allocate(byteCount: 1000)
        let b = try pool.allocate(byteCount: 5000)
        #expect(a?.byteCount == 1000 && a?.capacity == OpenCLBufferPool.sizeClass(1000))
        #expect(pool.liveBytes == OpenCLBufferPool.sizeClass(1000) + OpenCLBufferPool.sizeClass(5000))
        #expect(pool.pooledBytes == 0)
        let raw = a?.mem.raw
        a = nil
        #expect(pool.liveBytes == OpenCLBufferPool.sizeClass(5000))
        #expect(pool.pooledBytes == OpenCLBufferPool.sizeClass(1000))
        // A request of the same size class gets the same cl_mem back.
        let c = try pool.allocate(byteCount: 990)
        #expect(c.mem.raw == raw)
        #expect(pool.pooledBytes == 0)
        #expect(pool.liveBytes == OpenCLBufferPool.sizeClass(1000) + OpenCLBufferPool.sizeClass(5000))
        _ = b
        // Buffers beyond the pool's limit are released, not kept; trim empties the pool.
        var big: OpenCLBuffer? = try pool.allocate(byteCount: 2 << 20)
        big = nil
        #expect(big == nil && pool.pooledBytes == 0)
        var small: OpenCLBuffer? = try pool.allocate(byteCount: 100)
        small = nil
        #expect(small == nil && pool.pooledBytes == 256)
        pool.trim()
        #expect(pool.pooledBytes == 0)
        // The peak counts live bytes only (b, c and the 2 MiB buffer were the most at once) until reset.
        withExtendedLifetime((b, c)) {
            let live = pool.liveBytes
            #expect(pool.usage == MemoryUsage(liveBytes: live, peakBytes: live + (2 << 20)))
            pool.resetPeak()
            #expect(pool.usage.peakBytes == live)
        }
    }

    @Test func deviceBuffersRoundTripThroughThePool() throws {
        let data = values(1001)
        let buffer = try upload(data)
        #expect(try download(buffer, 1001) == data)
        #expect(device.liveBytes >= OpenCLBufferPool.sizeClass(1001 * 4))
        var partial = [Float](repeating: 0, count: 3)
        try partial.withUnsafeMutableBytes { try device.read(buffer, byteOffset: 8, into: $0) }
        #expect(partial == Array(data[2..<5]))
        #expect(throws: ComputeError.self) {
            try partial.withUnsafeMutableBytes { try device.read(buffer, byteOffset: 4000, into: $0) }
        }
    }

    @Test func anOversizedAllocationIsOutOfMemory() throws {
        for bytes in [device.maxAllocationBytes + 1, Int.max / 2] {
            do {
                _ = try device.makeBuffer(byteCount: bytes)
                Issue.record("allocating \(bytes) bytes succeeded")
            } catch let ComputeError.outOfMemory(requested, name) {
                #expect(requested == bytes && name == device.name)
            }
        }
    }

    @Test func aCPUBufferIsRejected() throws {
        let foreign = try CPUDevice.shared.makeBuffer(byteCount: 16)
        #expect(throws: ComputeError.self) { try device.fill(foreign, count: 4, value: 1) }
    }

    @Test func launchValidatesItsRange() throws {
        let out = try device.makeBuffer(byteCount: 64)
        #expect(throws: ComputeError.self) {
            try device.launch(
                family: "copy", kernel: "fill", global: [10], local: [4],
                arguments: [.buffer(out), .int(16), .float(1)])
        }
        // A zero-sized range is a no-op.
        try device.launch(family: "copy", kernel: "fill", global: [0], arguments: [.buffer(out), .int(16), .float(1)])
        #expect(throws: ComputeError.self) {
            try device.launch(family: "copy", kernel: "no_such_kernel", global: [1], arguments: [])
        }
    }

    /// 100 kernels enqueued back to back, then one read: the in-order queue runs them all in order.
    /// Also prints the queued time against the sum of individually finished kernels.
    @Test func aHundredChainedKernelsThenOneRead() throws {
        let count = 1 << 20
        let a = try upload([Float](repeating: 1, count: count))
        let b = try device.makeBuffer(byteCount: count * 4)
        func chain(finishEach: Bool) throws -> Double {
            try device.fill(a, count: count, value: 1)
            try device.synchronize()
            let start = DispatchTime.now().uptimeNanoseconds
            for step in 0..<100 {
                // a -> b: b = a + 1 ; b -> a: a = |b| (alternating affine and unary abs)
                if step.isMultiple(of: 2) {
                    try device.affine(a, b, count: count, scale: 1, shift: 1)
                } else {
                    try device.unary(.abs, b, a, count: count)
                }
                if finishEach { try device.synchronize() }
            }
            try device.synchronize()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        _ = try chain(finishEach: false)  // builds the programs
        let queued = try chain(finishEach: false)
        let result = try download(a, count)
        #expect(result.allSatisfy { $0 == 51 })
        let finishedEach = try chain(finishEach: true)
        print(
            "OpenCL chain of 100 elementwise kernels on \(count) floats (\(device.name)): queued \(String(format: "%.1f", queued * 1e3)) ms, finished one by one \(String(format: "%.1f", finishedEach * 1e3)) ms, ratio \(String(format: "%.2f", queued / finishedEach))"
        )
    }

    // MARK: kernels

    @Test func fillCopyAndStridedCopy() throws {
        for count in [1, 3, 4, 5, 1027] {
            let out = try device.makeBuffer(byteCount: count * 4)
            try device.fill(out, count: count, value: 2.5)
            #expect(try download(out, count) == [Float](repeating: 2.5, count: count))
            let x = try upload(values(count))
            try device.copy(x, out, count: count)
            #expect(try download(out, count) == values(count))
        }
        // Int32 bits (including patterns that are NaNs or denormals as floats) copy exactly.
        let bits: [Int32] = [1, -1, 0x7FC0_0001, 0x0000_0001, Int32.min]
        let ints = try uploadInts(bits)
        let copied = try device.makeBuffer(byteCount: 20)
        try device.copy(ints, copied, count: 5)
        #expect(try downloadInts(copied, 5) == bits)
        // Transpose of a [2, 3, 4] tensor to [4, 3, 2], written at an offset.
        let x = values(24)
        let out = try device.makeBuffer(byteCount: 30 * 4)
        try device.fill(out, count: 30, value: 0)
        let layout = StridedCopyLayout(shape: [4, 3, 2], xStrides: [1, 4, 12], xOffset: 0, outStrides: [6, 2, 1], outOffset: 5)
        try device.copyStrided(try upload(x), out, layout: layout)
        let result = try download(out, 30)
        for i in 0..<4 { for j in 0..<3 { for k in 0..<2 { #expect(result[5 + i * 6 + j * 2 + k] == x[k * 12 + j * 4 + i]) } } }
        #expect(result[0..<5].allSatisfy { $0 == 0 })
        // A 5-axis permutation (exercises the flattened leading axes) and a rank-0 copy.
        let shape = [2, 3, 2, 3, 2]
        let src = values(72)
        let srcStrides = contiguousStrides(shape)
        let perm = [4, 2, 0, 3, 1]
        let outShape = perm.map { shape[$0] }
        let permuted = try device.makeBuffer(byteCount: 72 * 4)
        try device.copyStrided(
            try upload(src), permuted,
            layout: StridedCopyLayout(
                shape: outShape, xStrides: perm.map { srcStrides[$0] }, outStrides: contiguousStrides(outShape)))
        let got = try download(permuted, 72)
        let outStrides = contiguousStrides(outShape)
        var index = [Int](repeating: 0, count: 5)
        for flat in 0..<72 {
            var rest = flat
            for d in stride(from: 4, through: 0, by: -1) {
                index[d] = rest % outShape[d]
                rest /= outShape[d]
            }
            let source = zip(index, perm).map { $0 * srcStrides[$1] }.reduce(0, +)
            #expect(got[zip(index, outStrides).map(*).reduce(0, +)] == src[source])
        }
        let scalar = try device.makeBuffer(byteCount: 4)
        try device.copyStrided(try upload([9, 8]), scalar, layout: StridedCopyLayout(shape: [], xStrides: [], xOffset: 1, outStrides: []))
        #expect(try download(scalar, 1) == [8])
    }

    @Test func gatherAndScatterAdd() throws {
        let table = values(5 * 3)
        let indices: [Int32] = [4, 0, -1, 4, 5, 2]
        let out = try device.makeBuffer(byteCount: 6 * 3 * 4)
        try device.gather(try upload(table), indices: try uploadInts(indices), out, indexCount: 6, rowLength: 3, tableRows: 5)
        let gathered = try download(out, 18)
        for (r, index) in indices.enumerated() {
            let expected = (0..<5).contains(Int(index)) ? Array(table[Int(index) * 3..<Int(index) * 3 + 3]) : [0, 0, 0]
            #expect(Array(gathered[r * 3..<r * 3 + 3]) == expected)
        }
        // Many sources hitting the same rows (atomic adds), with out-of-range indices skipped.
        let rows = 2000
        let source = (0..<rows * 2).map { Float($0 % 7) }
        let targets = (0..<rows).map { Int32($0 % 3 == 2 ? 9 : $0 % 3) }
        let sums = try upload([Float](repeating: 1, count: 3 * 2))
        try device.scatterAdd(try upload(source), indices: try uploadInts(targets), sums, indexCount: rows, rowLength: 2, outRows: 3)
        var expected = [Float](repeating: 1, count: 6)
        for r in 0..<rows where targets[r] < 3 { for c in 0..<2 { expected[Int(targets[r]) * 2 + c] += source[r * 2 + c] } }
        #expect(try download(sums, 6) == expected)
    }

    @Test func unaryOpsMatchTheirDefinitions() throws {
        let x = values(1031, range: 4)
        let positive = x.map { abs($0) + 0.01 }
        let reference: [UnaryOp: (Float) -> Float] = [
            .neg: { -$0 }, .abs: { abs($0) }, .exp: { Foundation.exp($0) }, .log: { Foundation.log($0) },
            .sqrt: { $0.squareRoot() }, .rsqrt: { 1 / $0.squareRoot() }, .square: { $0 * $0 },
            .tanh: { Foundation.tanh($0) }, .sigmoid: { 1 / (1 + Foundation.exp(-$0)) }, .relu: { max($0, 0) },
            .silu: { $0 / (1 + Foundation.exp(-$0)) }, .gelu: { 0.5 * $0 * (1 + Foundation.erf($0 / 2.0.squareRoot().asFloat)) },
            .sin: { Foundation.sin($0) }, .cos: { Foundation.cos($0) },
        ]
        for op in UnaryOp.allCases {
            let input = [.log, .sqrt, .rsqrt].contains(op) ? positive : x
            let out = try device.makeBuffer(byteCount: input.count * 4)
            try device.unary(op, try upload(input), out, count: input.count)
            let f = try #require(reference[op])
            #expect(close(try download(out, input.count), input.map(f), tolerance: 1e-5), "\(op)")
        }
    }

    @Test func binaryOpsBroadcast() throws {
        let a = values(6 * 5 * 4, seed: 2)
        let b = values(5 * 1, seed: 3).map { $0.rounded() }  // shape [5, 1]: broadcast over rows and columns
        let layout = try #require(BroadcastLayout(shapes: [[6, 5, 4], [5, 1]]))
        #expect(!layout.isElementwise)
        let contiguous = try #require(BroadcastLayout(shapes: [[120], [120]]))
        let bFull = (0..<120).map { b[($0 / 4) % 5] }
        let aRounded = a.map { $0.rounded() }
        let reference: [BinaryOp: (Float, Float) -> Float] = [
            .add: (+), .sub: (-), .mul: (*), .div: (/), .pow: { Foundation.pow($0, $1) },
            .maximum: { max($0, $1) }, .minimum: { min($0, $1) },
            .equal: { $0 == $1 ? 1 : 0 }, .notEqual: { $0 != $1 ? 1 : 0 }, .less: { $0 < $1 ? 1 : 0 },
            .lessEqual: { $0 <= $1 ? 1 : 0 }, .greater: { $0 > $1 ? 1 : 0 }, .greaterEqual: { $0 >= $1 ? 1 : 0 },
        ]
        let aBuffer = try upload(aRounded), bBuffer = try upload(b), bFullBuffer = try upload(bFull)
        for op in BinaryOp.allCases {
            let f = try #require(reference[op])
            let expected = (0..<120).map { f(aRounded[$0], bFull[$0]) }
            let out = try device.makeBuffer(byteCount: 120 * 4)
            try device.binary(op, aBuffer, bBuffer, out, layout: layout)
            #expect(close(try download(out, 120), expected), "\(op) broadcast")
            try device.binary(op, aBuffer, bFullBuffer, out, layout: contiguous)
            #expect(close(try download(out, 120), expected), "\(op) contiguous")
        }
        // A scalar operand (rank-0 shape) and a length that is not a multiple of 4.
        let scalarLayout = try #require(BroadcastLayout(shapes: [[7], []]))
        let out = try device.makeBuffer(byteCount: 7 * 4)
        try device.binary(.mul, try upload(Array(a[0..<7])), try upload([3]), out, layout: scalarLayout)
        #expect(close(try download(out, 7), a[0..<7].map { $0 * 3 }))
    }

    /// Host NumPy-style broadcast of `f` over two shapes (result is contiguous).
    func broadcastReference(_ a: [Float], _ aShape: [Int], _ b: [Float], _ bShape: [Int], _ f: (Float, Float) -> Float) -> [Float] {
        let rank = max(aShape.count, bShape.count)
        let pa = [Int](repeating: 1, count: rank - aShape.count) + aShape
        let pb = [Int](repeating: 1, count: rank - bShape.count) + bShape
        let shape = zip(pa, pb).map { max($0, $1) }
        let count = shape.reduce(1, *)
        let sa = contiguousStrides(pa), sb = contiguousStrides(pb)
        return (0..<count).map { flat in
            var rest = flat, ia = 0, ib = 0
            for d in stride(from: rank - 1, through: 0, by: -1) {
                let i = rest % shape[d]
                rest /= shape[d]
                if pa[d] != 1 { ia += i * sa[d] }
                if pb[d] != 1 { ib += i * sb[d] }
            }
            return f(a[ia], b[ib])
        }
    }

    /// Both strided variants: per element (short last axis) and per run (long last axis, CPU devices),
    /// with unit, zero and general strides and more than three axes.
    @Test(arguments: [
        ([3, 5, 40], [5, 1]), ([3, 5, 40], [40]), ([40, 1], [1, 33]), ([2, 3, 4, 5, 6], [3, 1, 5, 1]),
        ([2, 1, 4, 1, 20], [1, 3, 1, 5, 20]), ([7, 3], [7, 1]), ([17], []),
    ])
    func stridedBinaryAndSelectMatchBroadcasting(aShape: [Int], bShape: [Int]) throws {
        let a = values(aShape.reduce(1, *), seed: 21), b = values(bShape.reduce(1, *), seed: 22)
        let layout = try #require(BroadcastLayout(shapes: [aShape, bShape]))
        let aBuffer = try upload(a), bBuffer = try upload(b)
        let out = try device.makeBuffer(byteCount: layout.count * 4)
        for op in [BinaryOp.sub, .maximum, .less] {
            try device.binary(op, aBuffer, bBuffer, out, layout: layout)
            let f: (Float, Float) -> Float = op == .sub ? (-) : op == .maximum ? { max($0, $1) } : { $0 < $1 ? 1 : 0 }
            #expect(try download(out, layout.count) == broadcastReference(a, aShape, b, bShape, f), "\(op) \(aShape) \(bShape)")
        }
        // select(condition = a > 0, a, b) over the same broadcast.
        let condition = a.map { $0 > 0 ? Float(1) : 0 }
        let selectLayout = try #require(BroadcastLayout(shapes: [aShape, aShape, bShape]))
        try device.select(try upload(condition), aBuffer, bBuffer, out, layout: selectLayout)
        #expect(try download(out, layout.count) == broadcastReference(a, aShape, b, bShape) { $0 > 0 ? $0 : $1 })
        // copyStrided of the broadcast-expanded b.
        let expand = StridedCopyLayout(
            shape: layout.shape, xStrides: layout.operandStrides[1],
            outStrides: contiguousStrides(layout.shape))
        try device.copyStrided(bBuffer, out, layout: expand)
        #expect(try download(out, layout.count) == broadcastReference(a, aShape, b, bShape) { $1 })
    }

    @Test func largeTransposeCopies() throws {
        for (rows, columns) in [(40, 33), (300, 257)] {
            let x = values(rows * columns, seed: 5)
            let out = try device.makeBuffer(byteCount: x.count * 4)
            try device.copyStrided(
                try upload(x), out,
                layout: StridedCopyLayout(
                    shape: [columns, rows], xStrides: [1, columns], outStrides: [rows, 1]))
            let got = try download(out, x.count)
            #expect((0..<columns).allSatisfy { c in (0..<rows).allSatisfy { r in got[c * rows + r] == x[r * columns + c] } })
            // Strided writes: the output side carries the transpose.
            try device.copyStrided(
                try upload(x), out,
                layout: StridedCopyLayout(
                    shape: [rows, columns], xStrides: [columns, 1], outStrides: [1, rows]))
            #expect(try download(out, x.count) == got)
        }
    }

    @Test func selectClampAffineAxpby() throws {
        let condition: [Float] = [1, 0, 2, 0]
        let a = values(3 * 4, seed: 4), b = values(3 * 4, seed: 5)
        let layout = try #require(BroadcastLayout(shapes: [[4], [3, 4], [3, 4]]))
        let out = try device.makeBuffer(byteCount: 12 * 4)
        try device.select(try upload(condition), try upload(a), try upload(b), out, layout: layout)
        #expect(try download(out, 12) == (0..<12).map { condition[$0 % 4] != 0 ? a[$0] : b[$0] })
        let full = try #require(BroadcastLayout(shapes: [[12], [12], [12]]))
        let fullCondition = (0..<12).map { condition[$0 % 4] }
        try device.select(try upload(fullCondition), try upload(a), try upload(b), out, layout: full)
        #expect(try download(out, 12) == (0..<12).map { condition[$0 % 4] != 0 ? a[$0] : b[$0] })

        let x = values(1001)
        let xBuffer = try upload(x), yBuffer = try upload(values(1001, seed: 9))
        let result = try device.makeBuffer(byteCount: 1001 * 4)
        try device.clamp(xBuffer, result, count: 1001, lower: -1, upper: 0.5)
        #expect(try download(result, 1001) == x.map { min(max($0, -1), 0.5) })
        try device.affine(xBuffer, result, count: 1001, scale: -2, shift: 0.25)
        #expect(close(try download(result, 1001), x.map { -2 * $0 + 0.25 }))
        try device.axpby(alpha: 0.5, xBuffer, beta: -3, yBuffer, result, count: 1001)
        #expect(close(try download(result, 1001), zip(x, values(1001, seed: 9)).map { 0.5 * $0 - 3 * $1 }))
    }

    /// Host reference of `reduce` in Double.
    func reference(_ op: ReduceOp, _ x: [Float], outer: Int, length: Int, inner: Int) -> [Double] {
        (0..<outer * inner).map { g in
            let o = g / inner, i = g % inner
            let row = (0..<length).map { Double(x[(o * length + $0) * inner + i]) }
            let mean = row.reduce(0, +) / Double(length)
            switch op {
            case .sum: return row.reduce(0, +)
            case .mean: return mean
            case .max: return row.max()!
            case .min: return row.min()!
            case .argmax: return Double(row.firstIndex(of: row.max()!)!)
            case .argmin: return Double(row.firstIndex(of: row.min()!)!)
            case .logsumexp:
                let m = row.max()!
                return m + Foundation.log(row.map { Foundation.exp($0 - m) }.reduce(0, +))
            case .variance: return row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(length)
            }
        }
    }

    @Test(arguments: [
        (7, 33, 1), (3, 10, 5), (1, 300_001, 1), (2, 50_000, 3), (600, 16, 1), (1, 1, 1),
        (3, 300, 37), (1, 700, 160),
    ])
    func reductionsMatchAHostReference(outer: Int, length: Int, inner: Int) throws {
        // Repeated values make first-index ties for argmax/argmin.
        let x = values(outer * length * inner, seed: 11).map { ($0 * 4).rounded() / 4 + 1 }
        let buffer = try upload(x)
        for op in ReduceOp.allCases {
            let out = try device.makeBuffer(byteCount: outer * inner * 4)
            try device.reduce(op, buffer, out, outer: outer, length: length, inner: inner)
            let expected = reference(op, x, outer: outer, length: length, inner: inner)
            if op.producesIndices {
                #expect(try downloadInts(out, outer * inner).map(Double.init) == expected, "\(op)")
            } else {
                let got = try download(out, outer * inner)
                let scale = op == .sum ? Double(length).squareRoot() * 1e-6 : 1e-5
                #expect(
                    zip(got, expected).allSatisfy { abs(Double($0) - $1) <= scale * max(1, abs($1)) },
                    "\(op) \(outer)x\(length)x\(inner): \(got.prefix(4)) vs \(expected.prefix(4))")
            }
        }
    }

    @Test(arguments: [(5, 7), (64, 100), (2, 20_000), (9, 8), (33, 43)])
    func softmaxRowsSumToOne(rows: Int, columns: Int) throws {
        let x = values(rows * columns, seed: 13, range: 20)
        let buffer = try upload(x)
        let out = try device.makeBuffer(byteCount: rows * columns * 4)
        for log in [false, true] {
            try device.softmax(buffer, out, rows: rows, columns: columns, log: log)
            let got = try download(out, rows * columns)
            for r in 0..<rows {
                let row = x[r * columns..<(r + 1) * columns].map(Double.init)
                let m = row.max()!
                let lse = m + Foundation.log(row.map { Foundation.exp($0 - m) }.reduce(0, +))
                for (j, value) in row.enumerated() {
                    let expected = log ? value - lse : Foundation.exp(value - lse)
                    #expect(abs(Double(got[r * columns + j]) - expected) <= 2e-5 * max(1, abs(expected)))
                }
            }
        }
    }
}

extension OpenCLRuntimeTests {
    /// The binding of Kernels/random.cl: values in range with the right moments (bit parity with the
    /// CPU backend is checked by the parity suite).
    @Test func randomKernelsProduceNoise() throws {
        let count = 100_003
        let out = try device.makeBuffer(byteCount: count * 4)
        try device.randomUniform(out, count: count, seed: 0x1234_5678_9ABC, offset: 7)
        let uniform = try download(out, count)
        #expect(uniform.allSatisfy { $0 >= 0 && $0 < 1 })
        #expect(abs(uniform.reduce(0, +) / Float(count) - 0.5) < 0.01)
        // The offset shifts the stream: element i at offset 7 is element i + 2 at offset 5.
        try device.randomUniform(out, count: count, seed: 0x1234_5678_9ABC, offset: 5)
        #expect(Array(try download(out, count)[2..<12]) == Array(uniform[0..<10]))
        try device.randomNormal(out, count: count, seed: 99, offset: 0, mean: 2, std: 3)
        let normal = try download(out, count).map(Double.init)
        let mean = normal.reduce(0, +) / Double(count)
        let variance = normal.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(count)
        #expect(abs(mean - 2) < 0.05 && abs(variance.squareRoot() - 3) < 0.05)
    }
}

private extension Double {
    var asFloat: Float { Float(self) }
}

/// Launches, transfers and waits are counted, so benchmarks can report them per step.
@Suite struct DeviceActivityTests {
    @Test(arguments: ["cpu", "opencl"]) func launchesTransfersAndWaitsAreCounted(_ backend: String) throws {
        // A CPU device of its own, so tests running in parallel do not add to its counts; the
        // OpenCL device is shared by the whole process, so its counts are lower bounds.
        let device: any Device = backend == "cpu" ? CPUDevice(threads: 1) : try DeviceSelection.resolve(.opencl)
        let exact = backend == "cpu"
        let before = device.activity
        let x = try Tensor([1, 2, 3, 4], shape: [4], on: device)
        let y = try (x * x).exp().sum()
        let value = try y.item()
        #expect(value.isFinite)
        let d = device.activity.since(before)
        if exact {
            #expect(
                d
                    == {
                        var a = DeviceActivity()
                        a.uploads = 1
                        a.downloads = 1
                        a.waits = 1
                        return a
                    }())
        } else {
            // mul, exp and sum: at least three kernels.
            #expect(d.uploads >= 1 && d.downloads >= 1 && d.waits >= 1 && d.launches >= 3, "\(d)")
        }
    }
}
