"""A small AutoencoderKL (Rombach et al. 2022, the LDM "first stage") for 28x28 images, for Latent.

Named like LDM's AutoencoderKL (encoder.*, decoder.*, quant_conv, post_quant_conv) and matched
name for name by Latent's Swift twin (Sources/Latent/Models/Autoencoder*.swift):

  encoder: conv_in 3x3; per level i: num_res_blocks ResBlocks (down.i.block.j) to ch*ch_mult[i], and
           a stride-2 3x3 conv (down.i.downsample.conv, padding 1) except at the last level;
           mid.block_1 (ResBlock); norm_out (GroupNorm), SiLU, conv_out 3x3 to 2*z_channels.
  quant_conv 1x1 (2z -> 2z): the moments (mean, log-variance) of the diagonal Gaussian posterior.
  post_quant_conv 1x1 (z -> z), then
  decoder: conv_in 3x3 to ch*ch_mult[-1]; mid.block_1; per level i (last first): num_res_blocks+1
           ResBlocks (up.i.block.j) and a nearest x2 upsample + 3x3 conv (up.i.upsample.conv) except
           at level 0; norm_out, SiLU, conv_out 3x3 to out_ch.
  ResBlock: norm1, SiLU, conv1 3x3, norm2, SiLU, dropout, conv2 3x3, + nin_shortcut 1x1 when the
           channel count changes. GroupNorm(norm_groups, eps 1e-6).

Differences from LDM: symmetric padding 1 in the downsampling convs (LDM pads right/bottom only),
no attention in the mid blocks, and the loss is the summed squared error per image (LDM: L1 +
LPIPS + a patch GAN) plus kl_weight * KL per image. Images are in [-1, 1]. The latent scale factor
(1/std of training latents, LDM's scale_factor) is a buffer "scale_factor" [1] of the state_dict.

Only torch is needed.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def Normalize(channels, groups):
    return nn.GroupNorm(num_groups=groups, num_channels=channels, eps=1e-6, affine=True)


class ResnetBlock(nn.Module):
    def __init__(self, in_channels, out_channels, groups, dropout=0.0):
        super().__init__()
        self.norm1 = Normalize(in_channels, groups)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.norm2 = Normalize(out_channels, groups)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.nin_shortcut = nn.Conv2d(in_channels, out_channels, 1) if in_channels != out_channels else None

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return (self.nin_shortcut(x) if self.nin_shortcut is not None else x) + h


class Downsample(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, stride=2, padding=1)

    def forward(self, x):
        return self.conv(x)


class Upsample(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class Level(nn.Module):
    """One resolution: `block` (a ModuleList of ResBlocks) and an optional `downsample`/`upsample`."""

    def __init__(self, blocks, resample_name=None, resample=None):
        super().__init__()
        self.block = nn.ModuleList(blocks)
        if resample_name:
            setattr(self, resample_name, resample)
        self.resample_name = resample_name

    def resample(self, h):
        return getattr(self, self.resample_name)(h) if self.resample_name else h


class Mid(nn.Module):
    def __init__(self, channels, groups, dropout):
        super().__init__()
        self.block_1 = ResnetBlock(channels, channels, groups, dropout)

    def forward(self, x):
        return self.block_1(x)


class Encoder(nn.Module):
    def __init__(self, in_ch, ch, ch_mult, num_res_blocks, z_channels, groups, dropout):
        super().__init__()
        self.conv_in = nn.Conv2d(in_ch, ch, 3, padding=1)
        levels, current = [], ch
        for i, m in enumerate(ch_mult):
            blocks = []
            for _ in range(num_res_blocks):
                blocks.append(ResnetBlock(current, ch * m, groups, dropout))
                current = ch * m
            last = i == len(ch_mult) - 1
            levels.append(Level(blocks, None if last else "downsample", None if last else Downsample(current)))
        self.down = nn.ModuleList(levels)
        self.mid = Mid(current, groups, dropout)
        self.norm_out = Normalize(current, groups)
        self.conv_out = nn.Conv2d(current, 2 * z_channels, 3, padding=1)

    def forward(self, x):
        h = self.conv_in(x)
        for level in self.down:
            for block in level.block:
                h = block(h)
            h = level.resample(h)
        h = self.mid(h)
        return self.conv_out(F.silu(self.norm_out(h)))


class Decoder(nn.Module):
    def __init__(self, out_ch, ch, ch_mult, num_res_blocks, z_channels, groups, dropout):
        super().__init__()
        current = ch * ch_mult[-1]
        self.conv_in = nn.Conv2d(z_channels, current, 3, padding=1)
        self.mid = Mid(current, groups, dropout)
        levels = [None] * len(ch_mult)
        for i in reversed(range(len(ch_mult))):
            blocks = []
            for _ in range(num_res_blocks + 1):
                blocks.append(ResnetBlock(current, ch * ch_mult[i], groups, dropout))
                current = ch * ch_mult[i]
            levels[i] = Level(blocks, "upsample" if i else None, Upsample(current) if i else None)
        self.up = nn.ModuleList(levels)  # indexed by level like LDM: up.0 is the full resolution
        self.norm_out = Normalize(current, groups)
        self.conv_out = nn.Conv2d(current, out_ch, 3, padding=1)

    def forward(self, z):
        h = self.mid(self.conv_in(z))
        for level in reversed(self.up):
            for block in level.block:
                h = block(h)
            h = level.resample(h)
        return self.conv_out(F.silu(self.norm_out(h)))


class AutoencoderKL(nn.Module):
    """encode(x) -> (mean, logvar) [N, z, H/f, W/f]; decode(z) -> [N, out_ch, H, W]; f = 2^(len(ch_mult)-1)."""

    def __init__(self, in_ch=1, ch=32, ch_mult=(1, 2, 2), num_res_blocks=1, z_channels=4, norm_groups=32,
                 dropout=0.0, kl_weight=1e-6):
        super().__init__()
        self._config = {"in_ch": in_ch, "ch": ch, "ch_mult": list(ch_mult), "num_res_blocks": num_res_blocks,
                        "z_channels": z_channels, "norm_groups": norm_groups, "dropout": dropout, "kl_weight": kl_weight}
        self.encoder = Encoder(in_ch, ch, ch_mult, num_res_blocks, z_channels, norm_groups, dropout)
        self.decoder = Decoder(in_ch, ch, ch_mult, num_res_blocks, z_channels, norm_groups, dropout)
        self.quant_conv = nn.Conv2d(2 * z_channels, 2 * z_channels, 1)
        self.post_quant_conv = nn.Conv2d(z_channels, z_channels, 1)
        self.register_buffer("scale_factor", torch.ones(1))
        self.z_channels = z_channels
        self.kl_weight = kl_weight

    def config(self):
        """Latent's AutoencoderConfig JSON for this model."""
        return dict(self._config)

    def encode(self, x):
        moments = self.quant_conv(self.encoder(x))
        mean, logvar = torch.chunk(moments, 2, dim=1)
        return mean, torch.clamp(logvar, -30.0, 20.0)

    def decode(self, z):
        return self.decoder(self.post_quant_conv(z))

    def loss(self, x, eps):
        """(loss, rec, kl, reconstruction): rec = summed squared error per image, kl = KL(q(z|x) || N(0, I))
        per image, both averaged over the batch; z = mean + exp(logvar / 2) * eps."""
        mean, logvar = self.encode(x)
        z = mean + torch.exp(0.5 * logvar) * eps
        xr = self.decode(z)
        n = x.shape[0]
        rec = ((xr - x) ** 2).sum() / n
        kl = 0.5 * (mean ** 2 + torch.exp(logvar) - 1.0 - logvar).sum() / n
        return rec + self.kl_weight * kl, rec, kl, xr


PRESETS = {
    "tiny": dict(ch=8, ch_mult=(1, 2, 2), num_res_blocks=1, norm_groups=4),
    "small": dict(ch=32, ch_mult=(1, 2, 2), num_res_blocks=1, norm_groups=32),
    "base": dict(ch=64, ch_mult=(1, 2, 2), num_res_blocks=2, norm_groups=32),
}
