/// 2-D convolution and its transpose, NCHW, as im2col/col2im plus batched GEMM on the tensor's device.
extension Tensor {
    /// Cross-correlation like PyTorch's `conv2d`: self [N, C, H, W], weight [O, C/groups, kh, kw],
    /// bias [O] or nil → [N, O, outH, outW]. `adding` (broadcast to the output) gives
    /// adding + (conv + bias): a residual connection or a per-channel time embedding, added in the
    /// product's epilogue when nothing is recorded.
    public func conv2d(
        _ weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
        dilation: Int = 1, groups: Int = 1, adding addend: Tensor? = nil
    ) throws -> Tensor {
        guard rank == 4, weight.rank == 4 else {
            throw ComputeError.shapeMismatch("conv2d needs input [N, C, H, W] and weight [O, C/groups, kh, kw], got \(shape) and \(weight.shape)")
        }
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let (o, cg, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        guard groups >= 1, c % groups == 0, o % groups == 0, cg == c / groups else {
            throw ComputeError.shapeMismatch("conv2d: input has \(c) channels, weight \(weight.shape) with \(groups) groups")
        }
        guard stride >= 1, padding >= 0, dilation >= 1 else {
            throw ComputeError.invalidArgument("conv2d: stride \(stride), padding \(padding), dilation \(dilation)")
        }
        if let bias, bias.shape != [o] { throw ComputeError.shapeMismatch("conv2d bias \(bias.shape), expected [\(o)]") }
        let recording = Tensor.records([self, weight, bias, addend])
        if let addend, groups > 1 || recording {
            let out = try conv2d(weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
            return try addend + out
        }
        if groups > 1 {
            // Each group is an independent convolution over its slice of channels.
            let outputs = try (0..<groups).map { g in
                try slice(axis: 1, g * cg..<(g + 1) * cg).conv2d(
                    weight.slice(axis: 0, g * (o / groups)..<(g + 1) * (o / groups)),
                    bias: bias?.slice(axis: 0, g * (o / groups)..<(g + 1) * (o / groups)),
                    stride: stride, padding: padding, dilation: dilation)
            }
            return try Tensor.concat(outputs, axis: 1)
        }
        let geometry = ConvGeometry(
            batch: n, channels: c, height: h, width: w, kernelHeight: kh, kernelWidth: kw,
            stride: (stride, stride), padding: (padding, padding), dilation: (dilation, dilation))
        let (oh, ow) = (geometry.outHeight, geometry.outWidth)
        guard oh > 0, ow > 0 else {
            throw ComputeError.shapeMismatch("conv2d: kernel \(kh)x\(kw) does not fit input \(h)x\(w) with padding \(padding)")
        }
        let pointwise = kh == 1 && kw == 1 && stride == 1 && padding == 0
        if !recording,
            let epilogue = try Tensor.epilogue(
                bias: bias?.reshaped([o, 1, 1]), residual: addend, over: [n, o, oh, ow], groups: [[0], [1], [2, 3]],
                on: device)
        {
            let out = try Tensor.empty([n, o, oh, ow], on: device)
            if pointwise {
                // W [O, C] · x[n] [C, H·W] per image, as below.
                try device.gemmEpilogue(
                    weight.buffer, buffer, out.buffer,
                    shape: GemmShape(batch: n, m: o, n: h * w, k: c, strideA: 0, strideB: c * h * w, strideC: o * h * w),
                    epilogue: epilogue)
            } else {
                try device.conv2dEpilogue(buffer, weight: weight.buffer, out.buffer, geometry: geometry, outChannels: o, epilogue: epilogue)
            }
            return out
        }
        if let addend {
            // An addend the epilogue cannot read with one stride per axis group: add it separately.
            return try addend + conv2d(weight, bias: bias, stride: stride, padding: padding, dilation: dilation)
        }
        if pointwise, !recording {
            // Inference: a 1×1 convolution is one product per image, W [O, C] · x[n] [C, H·W],
            // with no column matrix (training keeps the convolution kernels, whose weight gradient
            // sums over the batch without an [N, O, C] intermediate).
            let product = try weight.reshaped([o, c]).matmul(reshaped([n, c, h * w]))
            return try (bias.map { try product + $0.reshaped([o, 1]) } ?? product).reshaped([n, o, h, w])
        }
        let out = try withoutGrad { () -> Tensor in
            let product = try Tensor.empty([n, o, oh, ow], on: device)
            try device.conv2d(buffer, weight: weight.buffer, product.buffer, geometry: geometry, outChannels: o)
            return try bias.map { try product + $0.reshaped([o, 1, 1]) } ?? product
        }
        let (x, inputs) = (self, [self, weight] + (bias.map { [$0] } ?? []))
        return Tensor.record(out, "conv2d", inputs) { g in
            var grads: [Tensor?] = [nil, nil]
            if x.requiresGrad {
                let gradX = try Tensor.empty(x.shape, on: x.device)
                try x.device.conv2dBackwardInput(g.buffer, weight: weight.buffer, gradX.buffer, geometry: geometry, outChannels: o)
                grads[0] = gradX
            }
            if weight.requiresGrad {
                let gradW = try Tensor.empty(weight.shape, on: x.device)
                try x.device.conv2dBackwardWeight(x.buffer, g.buffer, gradW.buffer, geometry: geometry, outChannels: o)
                grads[1] = gradW
            }
            if bias != nil { grads.append(try g.reshaped([n, o, oh * ow]).sum(axis: 2).sum(axis: 0)) }
            return grads
        }
    }

    /// Transposed convolution like PyTorch's `conv_transpose2d`: self [N, Cin, H, W],
    /// weight [Cin, Cout, kh, kw], bias [Cout] → [N, Cout, (H−1)·s − 2p + d·(k−1) + outputPadding + 1, …].
    public func convTranspose2d(
        _ weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
        outputPadding: Int = 0, dilation: Int = 1
    ) throws -> Tensor {
        guard rank == 4, weight.rank == 4, weight.shape[0] == shape[1] else {
            throw ComputeError.shapeMismatch(
                "convTranspose2d needs input [N, Cin, H, W] and weight [Cin, Cout, kh, kw], got \(shape) and \(weight.shape)")
        }
        let (n, cin, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let (cout, kh, kw) = (weight.shape[1], weight.shape[2], weight.shape[3])
        guard stride >= 1, padding >= 0, dilation >= 1, outputPadding >= 0, outputPadding < Swift.max(stride, dilation) else {
            throw ComputeError.invalidArgument("convTranspose2d: stride \(stride), padding \(padding), output padding \(outputPadding)")
        }
        if let bias, bias.shape != [cout] { throw ComputeError.shapeMismatch("convTranspose2d bias \(bias.shape), expected [\(cout)]") }
        let oh = (h - 1) * stride - 2 * padding + dilation * (kh - 1) + outputPadding + 1
        let ow = (w - 1) * stride - 2 * padding + dilation * (kw - 1) + outputPadding + 1
        guard oh > 0, ow > 0 else { throw ComputeError.shapeMismatch("convTranspose2d output would be \(oh)x\(ow)") }
        // The output image is the input of the adjoint convolution, whose im2col layout is this geometry.
        let geometry = ConvGeometry(
            batch: n, channels: cout, height: oh, width: ow, kernelHeight: kh, kernelWidth: kw,
            stride: (stride, stride), padding: (padding, padding), dilation: (dilation, dilation))
        guard geometry.outHeight == h, geometry.outWidth == w else {
            throw ComputeError.shapeMismatch("convTranspose2d geometry mismatch for input \(h)x\(w)")
        }
        // Its forward pass is the input gradient of that convolution, and its gradients are the
        // convolution itself (for the input) and the convolution's weight gradient (for the weight).
        let out = try withoutGrad { () -> Tensor in
            let image = try Tensor.empty([n, cout, oh, ow], on: device)
            try device.conv2dBackwardInput(buffer, weight: weight.buffer, image.buffer, geometry: geometry, outChannels: cin)
            return try bias.map { try image + $0.reshaped([cout, 1, 1]) } ?? image
        }
        let (x, inputs) = (self, [self, weight] + (bias.map { [$0] } ?? []))
        return Tensor.record(out, "conv_transpose2d", inputs) { g in
            var grads: [Tensor?] = [nil, nil]
            if x.requiresGrad {
                let gradX = try Tensor.empty(x.shape, on: x.device)
                try x.device.conv2d(g.buffer, weight: weight.buffer, gradX.buffer, geometry: geometry, outChannels: cin)
                grads[0] = gradX
            }
            if weight.requiresGrad {
                let gradW = try Tensor.empty(weight.shape, on: x.device)
                try x.device.conv2dBackwardWeight(g.buffer, x.buffer, gradW.buffer, geometry: geometry, outChannels: cin)
                grads[1] = gradW
            }
            if bias != nil { grads.append(try g.reshaped([n, cout, oh * ow]).sum(axis: 2).sum(axis: 0)) }
            return grads
        }
    }

    /// Nearest-neighbour upsampling by an integer factor (2 in the U-Net): [N, C, H, W] → [N, C, fH, fW].
    public func upsampleNearest(factor: Int = 2) throws -> Tensor {
        guard rank == 4, factor >= 1 else { throw ComputeError.shapeMismatch("upsampleNearest of \(shape) by \(factor)") }
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        return try reshaped([n, c, h, 1, w, 1]).expanded(to: [n, c, h, factor, w, factor])
            .reshaped([n, c, h * factor, w * factor])
    }

    /// Average pooling over non-overlapping k×k windows: [N, C, H, W] → [N, C, H/k, W/k].
    public func avgPool2d(_ k: Int) throws -> Tensor {
        guard rank == 4, k >= 1, shape[2] % k == 0, shape[3] % k == 0 else {
            throw ComputeError.shapeMismatch("avgPool2d(\(k)) of \(shape): height and width must be multiples of \(k)")
        }
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        return try reshaped([n, c, h / k, k, w / k, k]).mean(axis: 5).mean(axis: 3)
    }
}
