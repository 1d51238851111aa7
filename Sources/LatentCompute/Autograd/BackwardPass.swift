/// Gradients of a scalar with respect to the leaves that require them, keyed by tensor identity.
public struct Gradients: @unchecked Sendable {
    // Tensors are immutable references; the dictionary is built once and then only read.
    private var storage: [ObjectIdentifier: (tensor: Tensor, gradient: Tensor)] = [:]

    public subscript(_ tensor: Tensor) -> Tensor? { storage[ObjectIdentifier(tensor)]?.gradient }

    public var count: Int { storage.count }

    /// Replaces the gradient of a tensor that has one (e.g. after clipping).
    public mutating func replace(_ gradient: Tensor, for tensor: Tensor) {
        guard storage[ObjectIdentifier(tensor)] != nil else { return }
        set(gradient, for: tensor)
    }

    mutating func set(_ gradient: Tensor, for tensor: Tensor) {
        storage[ObjectIdentifier(tensor)] = (tensor, gradient)
    }
}

extension Tensor {
    /// Reverse-mode differentiation from this scalar (or with an explicit output gradient `seed`).
    /// Runs every recorded backward rule once, in reverse topological order, on this tensor's
    /// device, summing gradients that meet; intermediate gradients are released as soon as used.
    public func backward(seed: Tensor? = nil) throws -> Gradients {
        guard requiresGrad else {
            throw ComputeError.invalidArgument("backward() of a tensor that does not depend on any parameter")
        }
        if seed == nil, count != 1 {
            throw ComputeError.shapeMismatch("backward() without a seed needs a scalar, got shape \(shape)")
        }
        let order = topologicalOrder()
        return try withoutGrad {
            var pending: [ObjectIdentifier: Tensor] = [:]
            pending[ObjectIdentifier(self)] = try seed ?? Tensor.full(shape, value: 1, on: device)
            var result = Gradients()
            for node in order.reversed() {
                guard let gradient = pending.removeValue(forKey: ObjectIdentifier(node)) else { continue }
                guard let function = node.gradFunction else {
                    result.set(gradient, for: node)
                    continue
                }
                let inputGradients = try function.backward(gradient)
                for (input, g) in zip(function.inputs, inputGradients) {
                    guard let g, input.requiresGrad else { continue }
                    guard g.shape == input.shape else {
                        throw ComputeError.shapeMismatch("backward of \(function.name) gave \(g.shape) for an input of \(input.shape)")
                    }
                    let key = ObjectIdentifier(input)
                    pending[key] = try pending[key].map { try $0 + g } ?? g
                }
            }
            return result
        }
    }

    /// Every tensor this one depends on through recorded operations, inputs before users.
    func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited: Set<ObjectIdentifier> = []
        // Iterative depth-first search: deep networks would overflow a recursive one.
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (tensor, expanded) = stack.popLast() {
            if expanded {
                order.append(tensor)
                continue
            }
            guard visited.insert(ObjectIdentifier(tensor)).inserted else { continue }
            stack.append((tensor, true))
            for input in tensor.gradFunction?.inputs ?? []
            where input.requiresGrad
                && !visited.contains(ObjectIdentifier(input))
            {
                stack.append((input, false))
            }
        }
        return order
    }

    /// Sums a broadcast gradient back down to `target` (the shape of the operand that was broadcast).
    func reducedToShape(_ target: [Int]) throws -> Tensor {
        if shape == target { return self }
        var g = self
        while g.rank > target.count { g = try g.sum(axis: 0) }
        for axis in 0..<target.count where target[axis] == 1 && g.shape[axis] != 1 {
            g = try g.sum(axis: axis, keepDims: true)
        }
        return try g.reshaped(target)
    }
}
