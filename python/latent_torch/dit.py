"""DiT (Peebles & Xie 2023, "Scalable Diffusion Models with Transformers") for Latent.

Structured and named exactly as the official DiT code (facebookresearch/DiT, models.py), so a
state_dict moves between this module, the official one and Latent's Swift DiT
(Sources/Latent/Models/DiT/): x_embedder.proj, pos_embed (a fixed buffer-like parameter),
t_embedder.mlp.{0,2}, y_embedder.embedding_table, blocks.N.{attn.qkv, attn.proj, mlp.fc1, mlp.fc2,
adaLN_modulation.1}, final_layer.{adaLN_modulation.1, linear}.

Differences from the official code, each matched by the Swift twin:
- GELU is the exact (erf) GELU, not the tanh approximation (Latent has exact GELU as one kernel).
- A class-conditional model always has the null row (index num_classes) in its label table, so
  classifier-free guidance works whatever the label-dropout probability; num_classes=None builds an
  unconditional model without y_embedder.
- input_size may be any side length divisible by the patch size (7x7 latents with patch 1: 49 tokens).
- pos_embed is not part of the state_dict (it is recomputed from the configuration in both twins).

Only torch and numpy are needed.
"""
import math

import numpy as np
import torch
import torch.nn as nn


def modulate(x, shift, scale):
    """adaLN: x * (1 + scale) + shift with per-sample shift, scale [N, D] over tokens [N, L, D]."""
    return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)


class PatchEmbed(nn.Module):
    """Image [N, C, H, W] -> tokens [N, (H/p)(W/p), D] by a p x p convolution with stride p (timm's PatchEmbed)."""

    def __init__(self, input_size, patch_size, in_channels, hidden_size):
        super().__init__()
        if input_size % patch_size:
            raise ValueError(f"patch size {patch_size} does not divide the input size {input_size}")
        self.patch_size = patch_size
        self.grid_size = input_size // patch_size
        self.num_patches = self.grid_size ** 2
        self.proj = nn.Conv2d(in_channels, hidden_size, kernel_size=patch_size, stride=patch_size, bias=True)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class TimestepEmbedder(nn.Module):
    """Sinusoidal frequency embedding of t (256 frequencies, cos first) followed by Linear-SiLU-Linear."""

    def __init__(self, hidden_size, frequency_embedding_size=256):
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Linear(frequency_embedding_size, hidden_size, bias=True),
            nn.SiLU(),
            nn.Linear(hidden_size, hidden_size, bias=True),
        )
        self.frequency_embedding_size = frequency_embedding_size

    @staticmethod
    def timestep_embedding(t, dim, max_period=10000):
        half = dim // 2
        freqs = torch.exp(-math.log(max_period) * torch.arange(start=0, end=half, dtype=torch.float32) / half).to(t.device)
        args = t[:, None].float() * freqs[None]
        embedding = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
        if dim % 2:
            embedding = torch.cat([embedding, torch.zeros_like(embedding[:, :1])], dim=-1)
        return embedding

    def forward(self, t):
        return self.mlp(self.timestep_embedding(t, self.frequency_embedding_size))


class LabelEmbedder(nn.Module):
    """Class labels -> vectors; row num_classes is the null class (label dropout, guidance)."""

    def __init__(self, num_classes, hidden_size, dropout_prob):
        super().__init__()
        self.embedding_table = nn.Embedding(num_classes + 1, hidden_size)
        self.num_classes = num_classes
        self.dropout_prob = dropout_prob

    def token_drop(self, labels, force_drop_ids=None):
        if force_drop_ids is None:
            drop_ids = torch.rand(labels.shape[0], device=labels.device) < self.dropout_prob
        else:
            drop_ids = force_drop_ids == 1
        return torch.where(drop_ids, self.num_classes, labels)

    def forward(self, labels, train, force_drop_ids=None):
        if (train and self.dropout_prob > 0) or force_drop_ids is not None:
            labels = self.token_drop(labels, force_drop_ids)
        return self.embedding_table(labels)


class Attention(nn.Module):
    """timm's Attention: qkv Linear(D, 3D) split into heads, softmax(q k^T / sqrt(d)) v, proj Linear(D, D)."""

    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.scale = self.head_dim ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = ((q * self.scale) @ k.transpose(-2, -1)).softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj(x)


class Mlp(nn.Module):
    """timm's Mlp: fc1, GELU (exact here), fc2."""

    def __init__(self, in_features, hidden_features):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_features, in_features)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class DiTBlock(nn.Module):
    """adaLN-Zero block: LayerNorm without affine (eps 1e-6), shift/scale/gate from c for attention and MLP."""

    def __init__(self, hidden_size, num_heads, mlp_ratio=4.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(hidden_size, elementwise_affine=False, eps=1e-6)
        self.attn = Attention(hidden_size, num_heads=num_heads)
        self.norm2 = nn.LayerNorm(hidden_size, elementwise_affine=False, eps=1e-6)
        self.mlp = Mlp(hidden_size, int(hidden_size * mlp_ratio))
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(hidden_size, 6 * hidden_size, bias=True))

    def forward(self, x, c):
        shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = self.adaLN_modulation(c).chunk(6, dim=1)
        x = x + gate_msa.unsqueeze(1) * self.attn(modulate(self.norm1(x), shift_msa, scale_msa))
        x = x + gate_mlp.unsqueeze(1) * self.mlp(modulate(self.norm2(x), shift_mlp, scale_mlp))
        return x


class FinalLayer(nn.Module):
    def __init__(self, hidden_size, patch_size, out_channels):
        super().__init__()
        self.norm_final = nn.LayerNorm(hidden_size, elementwise_affine=False, eps=1e-6)
        self.linear = nn.Linear(hidden_size, patch_size * patch_size * out_channels, bias=True)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(hidden_size, 2 * hidden_size, bias=True))

    def forward(self, x, c):
        shift, scale = self.adaLN_modulation(c).chunk(2, dim=1)
        return self.linear(modulate(self.norm_final(x), shift, scale))


class DiT(nn.Module):
    """The DiT denoiser: patchify + fixed 2-D sin-cos positions, adaLN-Zero blocks, unpatchify.

    forward(x [N, C, H, W], t [N], y [N] or None) -> [N, C or 2C, H, W] (eps, and the variance
    interpolation v in [-1, 1] when learn_sigma). y=None uses the null class.
    """

    def __init__(self, input_size=7, patch_size=1, in_channels=4, hidden_size=384, depth=12, num_heads=6,
                 mlp_ratio=4.0, class_dropout_prob=0.1, num_classes=10, learn_sigma=False):
        super().__init__()
        self.learn_sigma = learn_sigma
        self.in_channels = in_channels
        self.out_channels = in_channels * 2 if learn_sigma else in_channels
        self.patch_size = patch_size
        self.num_heads = num_heads
        self.num_classes = num_classes
        self.x_embedder = PatchEmbed(input_size, patch_size, in_channels, hidden_size)
        self.t_embedder = TimestepEmbedder(hidden_size)
        self.y_embedder = LabelEmbedder(num_classes, hidden_size, class_dropout_prob) if num_classes else None
        grid = self.x_embedder.grid_size
        self.register_buffer("pos_embed", torch.from_numpy(get_2d_sincos_pos_embed(hidden_size, grid)).float().unsqueeze(0),
                             persistent=False)
        self.blocks = nn.ModuleList([DiTBlock(hidden_size, num_heads, mlp_ratio=mlp_ratio) for _ in range(depth)])
        self.final_layer = FinalLayer(hidden_size, patch_size, self.out_channels)
        self.initialize_weights()

    def initialize_weights(self):
        def _basic_init(module):
            if isinstance(module, nn.Linear):
                torch.nn.init.xavier_uniform_(module.weight)
                if module.bias is not None:
                    nn.init.constant_(module.bias, 0)
        self.apply(_basic_init)
        w = self.x_embedder.proj.weight.data
        nn.init.xavier_uniform_(w.view([w.shape[0], -1]))
        nn.init.constant_(self.x_embedder.proj.bias, 0)
        if self.y_embedder is not None:
            nn.init.normal_(self.y_embedder.embedding_table.weight, std=0.02)
        nn.init.normal_(self.t_embedder.mlp[0].weight, std=0.02)
        nn.init.normal_(self.t_embedder.mlp[2].weight, std=0.02)
        for block in self.blocks:
            nn.init.constant_(block.adaLN_modulation[-1].weight, 0)
            nn.init.constant_(block.adaLN_modulation[-1].bias, 0)
        nn.init.constant_(self.final_layer.adaLN_modulation[-1].weight, 0)
        nn.init.constant_(self.final_layer.adaLN_modulation[-1].bias, 0)
        nn.init.constant_(self.final_layer.linear.weight, 0)
        nn.init.constant_(self.final_layer.linear.bias, 0)

    def unpatchify(self, x):
        """[N, L, p*p*C] -> [N, C, H, W] (the official einsum 'nhwpqc->nchpwq')."""
        c, p = self.out_channels, self.patch_size
        h = w = int(round(x.shape[1] ** 0.5))
        x = x.reshape(x.shape[0], h, w, p, p, c)
        x = torch.einsum("nhwpqc->nchpwq", x)
        return x.reshape(x.shape[0], c, h * p, w * p)

    def forward(self, x, t, y=None, force_drop_ids=None):
        x = self.x_embedder(x) + self.pos_embed
        c = self.t_embedder(t)
        if self.y_embedder is not None:
            if y is None:
                y = torch.full((x.shape[0],), self.num_classes, dtype=torch.long, device=x.device)
            c = c + self.y_embedder(y, self.training, force_drop_ids)
        for block in self.blocks:
            x = block(x, c)
        return self.unpatchify(self.final_layer(x, c))


# Named configurations: (depth, hidden_size, num_heads); patch size from the name ("DiT-S/2").
PRESETS = {
    "DiT-tiny": (4, 128, 4),
    "DiT-mini": (6, 256, 4),
    "DiT-S": (12, 384, 6),
    "DiT-B": (12, 768, 12),
}


def dit_from_preset(name, **kwargs):
    """DiT('DiT-S/2', input_size=..., in_channels=...): the paper's depth, width and heads."""
    base, patch = name.split("/")
    depth, hidden, heads = PRESETS[base]
    return DiT(depth=depth, hidden_size=hidden, num_heads=heads, patch_size=int(patch), **kwargs)


def get_2d_sincos_pos_embed(embed_dim, grid_size):
    """[grid_size^2, embed_dim] fixed positions, exactly as the official code (MAE's), w coordinate first."""
    grid_h = np.arange(grid_size, dtype=np.float32)
    grid_w = np.arange(grid_size, dtype=np.float32)
    grid = np.meshgrid(grid_w, grid_h)
    grid = np.stack(grid, axis=0).reshape([2, 1, grid_size, grid_size])
    emb_h = get_1d_sincos_pos_embed_from_grid(embed_dim // 2, grid[0])
    emb_w = get_1d_sincos_pos_embed_from_grid(embed_dim // 2, grid[1])
    return np.concatenate([emb_h, emb_w], axis=1)


def get_1d_sincos_pos_embed_from_grid(embed_dim, pos):
    omega = np.arange(embed_dim // 2, dtype=np.float64)
    omega /= embed_dim / 2.0
    omega = 1.0 / 10000 ** omega
    out = np.einsum("m,d->md", pos.reshape(-1), omega)
    return np.concatenate([np.sin(out), np.cos(out)], axis=1)


# ---- the DiT paper's training objective (improved-diffusion's, as the official code uses) ---------------

def normal_kl(mean1, logvar1, mean2, logvar2):
    return 0.5 * (-1.0 + logvar2 - logvar1 + torch.exp(logvar1 - logvar2) + ((mean1 - mean2) ** 2) * torch.exp(-logvar2))


def approx_standard_normal_cdf(x):
    return 0.5 * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3))))


def discretized_gaussian_log_likelihood(x, means, log_scales):
    """improved-diffusion's decoder likelihood on a 256-bin grid over [-1, 1] (tanh CDF approximation)."""
    centered = x - means
    inv_stdv = torch.exp(-log_scales)
    cdf_plus = approx_standard_normal_cdf(inv_stdv * (centered + 1.0 / 255.0))
    cdf_min = approx_standard_normal_cdf(inv_stdv * (centered - 1.0 / 255.0))
    log_cdf_plus = torch.log(cdf_plus.clamp(min=1e-12))
    log_one_minus_cdf_min = torch.log((1.0 - cdf_min).clamp(min=1e-12))
    cdf_delta = cdf_plus - cdf_min
    return torch.where(x < -0.999, log_cdf_plus,
                       torch.where(x > 0.999, log_one_minus_cdf_min, torch.log(cdf_delta.clamp(min=1e-12))))


class DiffusionTables:
    """Float64 tables of the linear beta schedule (Ho et al.: 1e-4 .. 0.02), rounded to float32 per use."""

    def __init__(self, T=1000):
        self.T = T
        b = np.linspace(1e-4, 0.02, T, dtype=np.float64)
        ac = np.cumprod(1 - b)
        ac_prev = np.append(1.0, ac[:-1])
        post = b * (1 - ac_prev) / (1 - ac)
        self.betas = b
        self.sqrt_ac = np.sqrt(ac)
        self.sqrt_1m_ac = np.sqrt(1 - ac)
        self.post_c0 = b * np.sqrt(ac_prev) / (1 - ac)
        self.post_ct = (1 - ac_prev) * np.sqrt(1 - b) / (1 - ac)
        self.post_logvar_clipped = np.log(np.append(post[1], post[1:]))
        self.log_betas = np.log(b)

    def take(self, table, t):
        return torch.from_numpy(table[t.numpy()]).float().view(-1, 1, 1, 1)


def training_losses(model, tables, x0, t, noise, y=None, force_drop_ids=None):
    """(loss, mse, vb) means over the batch: L_simple on eps, plus for learn_sigma the variational term
    of the learned variance in bits per dimension (the mean detached), as DiT's MSE + vb hybrid."""
    xt = tables.take(tables.sqrt_ac, t) * x0 + tables.take(tables.sqrt_1m_ac, t) * noise
    out = model(xt, t, y, force_drop_ids)
    C = x0.shape[1]
    if not model.learn_sigma:
        mse = ((out - noise) ** 2).mean()
        return mse, mse, torch.zeros(())
    eps, v = out[:, :C], out[:, C:]
    mse = ((eps - noise) ** 2).flatten(1).mean(1)
    min_log, max_log = tables.take(tables.post_logvar_clipped, t), tables.take(tables.log_betas, t)
    frac = (v + 1) / 2
    model_logvar = frac * max_log + (1 - frac) * min_log
    eps_frozen = eps.detach()
    x0_hat = (xt - tables.take(tables.sqrt_1m_ac, t) * eps_frozen) / tables.take(tables.sqrt_ac, t)
    c0, ct = tables.take(tables.post_c0, t), tables.take(tables.post_ct, t)
    model_mean = c0 * x0_hat + ct * xt
    true_mean = c0 * x0 + ct * xt
    kl = normal_kl(true_mean, min_log, model_mean, model_logvar).flatten(1).mean(1) / math.log(2.0)
    nll = -discretized_gaussian_log_likelihood(x0, model_mean, 0.5 * model_logvar).flatten(1).mean(1) / math.log(2.0)
    vb = torch.where(t == 0, nll, kl)
    return (mse + vb).mean(), mse.mean(), vb.mean()
