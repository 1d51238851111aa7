"""The flow twin: every layer inverts, its log-det equals the brute-force Jacobian's, and the whole
flow's log p is the prior of its latents plus the log-det of v -> z."""
import math

import pytest
import torch
from torch.autograd.functional import jacobian

from latent_torch.flow import (ActNorm, AffineCoupling, FlowStep, InvertibleConv1x1, NormalizingFlow,
                               squeeze2x2, unsqueeze2x2)


def randomised(layer):
    torch.manual_seed(3)
    with torch.no_grad():
        for name, p in layer.named_parameters():
            if "net.4" in name or name.endswith("bias") or name == "log_s":
                p.normal_(0, 0.1)
    return layer.double()


@pytest.mark.parametrize("make", [lambda: ActNorm(4), lambda: InvertibleConv1x1(4),
                                  lambda: AffineCoupling(4, 6, "glow"), lambda: AffineCoupling(4, 6, "realnvp"),
                                  lambda: FlowStep(4, 5, "glow")])
def test_layer_inverts_and_log_det_is_the_jacobians(make):
    torch.manual_seed(0)
    layer = randomised(make()).eval()
    x = torch.randn(1, 4, 2, 2, dtype=torch.float64)
    y, log_det = layer(x)
    assert torch.allclose(layer.inverse(y), x, atol=1e-10)
    j = jacobian(lambda t: layer(t.reshape(x.shape))[0].flatten(), x.flatten())
    assert torch.linalg.slogdet(j)[1].item() == pytest.approx(log_det.item(), abs=1e-8)


def test_squeeze_inverts():
    x = torch.randn(2, 3, 4, 6)
    assert torch.equal(unsqueeze2x2(squeeze2x2(x)), x)


@pytest.mark.parametrize("coupling", ["glow", "realnvp"])
def test_whole_flow_log_likelihood_is_prior_plus_log_det(coupling):
    torch.manual_seed(1)
    flow = NormalizingFlow(image_size=4, levels=2, steps_per_level=2, hidden=4, coupling=coupling).double()
    v = torch.rand(2, 1, 4, 4, dtype=torch.float64) * 0.9 + 0.05
    flow.log_likelihood(v)  # data-dependent ActNorm initialisation
    randomised(flow).eval()
    log_p, zs = flow.log_likelihood(v)
    assert torch.allclose(flow.decode(zs), v, atol=1e-10)
    for i in range(2):
        f = lambda t: torch.cat([z.flatten(1) for z in flow.log_likelihood(t.reshape(1, 1, 4, 4))[1]], 1).flatten()
        z = f(v[i].flatten())
        log_det = torch.linalg.slogdet(jacobian(f, v[i].flatten()))[1]
        prior = -0.5 * (z * z).sum() - 0.5 * math.log(2 * math.pi) * z.numel()
        assert (prior + log_det).item() == pytest.approx(log_p[i].item(), abs=1e-8)


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="not divisible by the squeeze factor"):
        NormalizingFlow(levels=3)


def test_checkpoint_round_trip(tmp_path):
    import latent_torch as lt
    torch.manual_seed(2)
    flow = NormalizingFlow(steps_per_level=1, hidden=4, coupling="realnvp")
    flow.log_likelihood(torch.rand(2, 1, 28, 28) * 0.9 + 0.05)  # initialises ActNorm
    lt.save_checkpoint(flow, tmp_path / "flow.safetensors", step=3)
    back, config = lt.load_checkpoint(tmp_path / "flow.safetensors")
    assert isinstance(back, NormalizingFlow) and config["coupling"] == "realnvp" and config["stepsPerLevel"] == 1
    for k, v in flow.state_dict().items():
        assert torch.equal(back.state_dict()[k], v), k
    assert back.levels[0].steps[0].actnorm.initialized.item() == 1
