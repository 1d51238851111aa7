"""ConvClassifier "fmnist-classifier": the PyTorch twin of Sources/Latent/Models/ConvClassifier.swift,
whose penultimate layer gives the features of FID-FMNIST."""
import torch.nn as nn


class ConvClassifier(nn.Module):
    """body: 0 Conv(1,a,3,p1) 1 ReLU 2 Conv(a,a,3,p1) 3 ReLU 4 AvgPool(2) 5 Conv(a,b,3,p1) 6 ReLU
    7 AvgPool(2) 8 Flatten 9 Linear(b*7*7, features) 10 ReLU; head: Linear(features, classes).
    Images 1x28x28 in [-1, 1]."""

    def __init__(self, channels=(32, 32), features=128, classes=10):
        super().__init__()
        a, b = channels
        self.channels, self.features, self.classes = [a, b], features, classes
        self.body = nn.Sequential(
            nn.Conv2d(1, a, 3, padding=1), nn.ReLU(), nn.Conv2d(a, a, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2),
            nn.Conv2d(a, b, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2),
            nn.Flatten(), nn.Linear(b * 7 * 7, features), nn.ReLU())
        self.head = nn.Linear(features, classes)

    def config(self):
        return {"channels": self.channels, "features": self.features, "classes": self.classes}

    def features_and_logits(self, x):
        f = self.body(x)
        return f, self.head(f)

    def forward(self, x):
        return self.head(self.body(x))
