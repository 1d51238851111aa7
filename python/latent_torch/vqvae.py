"""VQ-VAE "fmnist-vq": the PyTorch twin of Sources/Latent/Models/VQVAE.swift and VectorQuantizer.swift."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class VectorQuantizer(nn.Module):
    """Nearest-codebook quantisation with a straight-through gradient (van den Oord et al. 2017).
    Loss (means over elements): ||sg[z_e] - e||^2 (dropped with EMA) + beta * ||z_e - sg[e]||^2.
    EMA (Razavi et al. 2019): N_k <- d N_k + (1-d) n_k, m_k <- d m_k + (1-d) sum z_e, e_k = m_k / N~_k,
    N~_k = (N_k + eps) / (n + K eps) * n. State_dict: embedding [K, D]; with EMA also the buffers
    cluster_size [K] and embed_sum [K, D]. (Latent's dead-code restart and k-means initialisation are
    training aids with no twin here: they do not change what a trained model computes.)"""

    def __init__(self, K=256, D=64, beta=0.25, ema=False, decay=0.99, eps=1e-5):
        super().__init__()
        self.K, self.D, self.beta, self.ema, self.decay, self.eps = K, D, beta, ema, decay, eps
        self.embedding = nn.Parameter(torch.empty(K, D).uniform_(-1 / K, 1 / K), requires_grad=not ema)
        if ema:
            self.register_buffer("cluster_size", torch.zeros(K))
            self.register_buffer("embed_sum", self.embedding.detach().clone())

    def codes(self, flat):
        e = self.embedding
        dist = flat.pow(2).sum(1, keepdim=True) - 2 * flat @ e.t() + e.pow(2).sum(1)[None, :]
        return dist.argmin(1)

    def forward(self, z_e):
        B, D, H, W = z_e.shape
        flat = z_e.permute(0, 2, 3, 1).reshape(-1, D)
        idx = self.codes(flat)
        onehot = F.one_hot(idx, self.K).type(flat.dtype)
        z_q = self.embedding[idx]
        if self.ema and self.training:
            with torch.no_grad():
                self.cluster_size.mul_(self.decay).add_(onehot.sum(0), alpha=1 - self.decay)
                self.embed_sum.mul_(self.decay).add_(onehot.t() @ flat, alpha=1 - self.decay)
                n = self.cluster_size.sum()
                size = (self.cluster_size + self.eps) / (n + self.K * self.eps) * n
                self.embedding.data.copy_(self.embed_sum / size[:, None])
        commit = F.mse_loss(flat, z_q.detach())
        loss = self.beta * commit if self.ema else F.mse_loss(z_q, flat.detach()) + self.beta * commit
        z_q = flat + (z_q - flat).detach()
        probs = onehot.mean(0)
        perplexity = torch.exp(-torch.sum(probs * torch.log(probs + 1e-10)))
        return z_q.reshape(B, H, W, D).permute(0, 3, 1, 2), loss, perplexity, idx.reshape(B, H, W)


class VQVAE(nn.Module):
    """enc: Conv(1,64,4,2,1)-ReLU-Conv(64,128,4,2,1)-ReLU-Conv(128,D,1) -> 7x7xD; vq; dec: Conv(D,128,1)-ReLU-
    ConvT(128,64,4,2,1)-ReLU-ConvT(64,1,4,2,1), linear output. Loss = MSE + VQ loss."""

    def __init__(self, K=256, D=64, beta=0.25, ema=False, decay=0.99, epsilon=1e-5, **training_only):
        super().__init__()
        self.training_only = training_only  # restart_after, kmeans_init, ...: kept for save_checkpoint
        self.enc = nn.Sequential(
            nn.Conv2d(1, 64, 4, 2, 1), nn.ReLU(),
            nn.Conv2d(64, 128, 4, 2, 1), nn.ReLU(),
            nn.Conv2d(128, D, 1))
        self.vq = VectorQuantizer(K, D, beta, ema, decay, epsilon)
        self.dec = nn.Sequential(
            nn.Conv2d(D, 128, 1), nn.ReLU(),
            nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.ReLU(),
            nn.ConvTranspose2d(64, 1, 4, 2, 1))

    def config(self):
        vq = self.vq
        return {"K": vq.K, "D": vq.D, "beta": vq.beta, "ema": vq.ema, "decay": vq.decay, "epsilon": vq.eps,
                **self.training_only}

    def forward(self, x):
        z_q, vq_loss, perplexity, idx = self.vq(self.enc(x))
        return self.dec(z_q), vq_loss, perplexity, idx

    def loss(self, x):
        x_rec, vq_loss, perplexity, _ = self(x)
        rec = F.mse_loss(x_rec, x)
        return rec + vq_loss, {"rec": rec.item(), "vq": vq_loss.item(), "perplexity": perplexity.item()}

    @torch.no_grad()
    def reconstruct(self, x):
        """Reconstructions clamped to [0, 1] (eval mode: no EMA update)."""
        was = self.training
        self.eval()
        try:
            return self(x)[0].clamp(0, 1)
        finally:
            self.train(was)
