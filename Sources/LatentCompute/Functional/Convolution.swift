/// 2-D convolution and its transpose, NCHW, as im2col/col2im plus batched GEMM on the tensor's device.
extension Tensor {
    /// Cross-correlation like PyTorch's `conv2d`: self [N, C, H, W], weight [O, C/groups, kh, kw],
    /// bias [O] or nil → [N, O, outH, outW].
    public func conv2d(_ weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                       dilation: Int = 1, groups: Int = 1) throws -> Tensor {
        try conv2d(weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups,
                   columnBudgetBytes: Tensor.im2colBudgetBytes)
    }

    /// conv2d whose forward pass holds at most `columnBudgetBytes` of im2col columns (beyond one image's).
    func conv2d(_ weight: Tensor, bias: Tensor?, stride: Int, padding: Int, dilation: Int, groups: Int,
                columnBudgetBytes: Int) throws -> Tensor {
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
        let geometry = ConvGeometry(batch: n, channels: c, height: h, width: w, kernelHeight: kh, kernelWidth: kw,
                                    stride: (stride, stride), padding: (padding, padding), dilation: (dilation, dilation))
        let (oh, ow) = (geometry.outHeight, geometry.outWidth)
        guard oh > 0, ow > 0 else {
            throw ComputeError.shapeMismatch("conv2d: kernel \(kh)x\(kw) does not fit input \(h)x\(w) with padding \(padding)")
        }
        let out = try withoutGrad { () -> Tensor in
            // The columns are kh·kw times the input (347 MB for a 3×3 conv of 64 images of 192×28×28), so
            // large batches go through in chunks of images whose columns fit in the budget.
            let perImage = geometry.columnRows * oh * ow * MemoryLayout<Float>.size
            let chunk = Swift.max(1, columnBudgetBytes / Swift.max(perImage, 1))
            guard chunk < n else { return try convolveColumns(weight, bias: bias, geometry: geometry) }
            let parts = try Swift.stride(from: 0, to: n, by: chunk).map { start in
                var part = geometry
                part.batch = Swift.min(chunk, n - start)
                return try slice(axis: 0, start..<(start + part.batch)).convolveColumns(weight, bias: bias, geometry: part)
            }
            return try Tensor.concat(parts, axis: 0)
        }
        let (x, inputs) = (self, [self, weight] + (bias.map { [$0] } ?? []))
        return Tensor.record(out, "conv2d", inputs) { g in
            let g3 = try g.reshaped([n, o, oh * ow])
            let w2 = try weight.reshaped([o, geometry.columnRows])
            var grads: [Tensor?] = [nil, nil]
            if x.requiresGrad {
                let gradCols = try w2.matmul(g3, transposeSelf: true)
                let gradX = try Tensor.empty(x.shape, on: x.device)
                try x.device.col2im(gradCols.buffer, gradX.buffer, geometry: geometry)
                grads[0] = gradX
            }
            if weight.requiresGrad {
                let cols = try Tensor.empty([n, geometry.columnRows, oh * ow], on: x.device)
                try x.device.im2col(x.buffer, cols.buffer, geometry: geometry)
                grads[1] = try g3.matmul(cols, transposeOther: true).sum(axis: 0).reshaped(weight.shape)
            }
            if bias != nil { grads.append(try g3.sum(axis: 2).sum(axis: 0)) }
            return grads
        }
    }

    /// The most bytes of im2col columns a forward convolution holds at once (beyond one image's).
    static let im2colBudgetBytes = 16 << 20

    /// The forward convolution of all `geometry.batch` images through one im2col buffer (no gradient recorded).
    private func convolveColumns(_ weight: Tensor, bias: Tensor?, geometry: ConvGeometry) throws -> Tensor {
        let (n, o, oh, ow) = (geometry.batch, weight.shape[0], geometry.outHeight, geometry.outWidth)
        let cols = try Tensor.empty([n, geometry.columnRows, oh * ow], on: device)
        try device.im2col(buffer, cols.buffer, geometry: geometry)
        let product = try weight.reshaped([o, geometry.columnRows]).matmul(cols)
        let result = try bias.map { try product + $0.reshaped([o, 1]) } ?? product
        return try result.reshaped([n, o, oh, ow])
    }

    /// Transposed convolution like PyTorch's `conv_transpose2d`: self [N, Cin, H, W],
    /// weight [Cin, Cout, kh, kw], bias [Cout] → [N, Cout, (H−1)·s − 2p + d·(k−1) + outputPadding + 1, …].
    public func convTranspose2d(_ weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                                outputPadding: Int = 0, dilation: Int = 1) throws -> Tensor {
        guard rank == 4, weight.rank == 4, weight.shape[0] == shape[1] else {
            throw ComputeError.shapeMismatch("convTranspose2d needs input [N, Cin, H, W] and weight [Cin, Cout, kh, kw], got \(shape) and \(weight.shape)")
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
        let geometry = ConvGeometry(batch: n, channels: cout, height: oh, width: ow, kernelHeight: kh, kernelWidth: kw,
                                    stride: (stride, stride), padding: (padding, padding), dilation: (dilation, dilation))
        guard geometry.outHeight == h, geometry.outWidth == w else {
            throw ComputeError.shapeMismatch("convTranspose2d geometry mismatch for input \(h)x\(w)")
        }
        let rows = geometry.columnRows
        let out = try withoutGrad { () -> Tensor in
            let cols = try weight.reshaped([cin, rows]).matmul(reshaped([n, cin, h * w]), transposeSelf: true)
            let image = try Tensor.empty([n, cout, oh, ow], on: device)
            try device.col2im(cols.buffer, image.buffer, geometry: geometry)
            return try bias.map { try image + $0.reshaped([cout, 1, 1]) } ?? image
        }
        let (x, inputs) = (self, [self, weight] + (bias.map { [$0] } ?? []))
        return Tensor.record(out, "conv_transpose2d", inputs) { g in
            let cols = try Tensor.empty([n, rows, h * w], on: g.device)
            try g.device.im2col(g.buffer, cols.buffer, geometry: geometry)
            var grads: [Tensor?] = [nil, nil]
            let w2 = try weight.reshaped([cin, rows])
            if x.requiresGrad { grads[0] = try w2.matmul(cols).reshaped(x.shape) }
            if weight.requiresGrad {
                grads[1] = try x.reshaped([n, cin, h * w]).matmul(cols, transposeOther: true).sum(axis: 0).reshaped(weight.shape)
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
