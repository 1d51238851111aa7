import LatentCompute

extension VectorQuantizer {
    /// `statistic` summed over the ranks of `group` (itself when training alone).
    func summedOverRanks(_ statistic: Tensor) throws -> Tensor {
        guard let group, group.size > 1 else { return statistic }
        return try Tensor(group.allReduceSum(statistic.toArray()), shape: statistic.shape, on: statistic.device)
    }

    /// The rows [N, D] of every rank, concatenated in rank order: the global batch's vectors.
    func gatheredOverRanks(_ rows: Tensor) throws -> Tensor {
        guard let group, group.size > 1 else { return rows }
        let all = try group.allGatherRows(rows.toArray(), rowLength: dimension)
        return try Tensor(all, shape: [all.count / dimension, dimension], on: rows.device)
    }
}
