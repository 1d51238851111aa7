/// The model configurations of the checkpoints shipped under `models/` (their `model_config`
/// metadata), by model type. `latent import` uses them when no `--config` is given, so a PyTorch
/// state_dict of a shipped architecture imports without one; a test keeps them equal to the files.
public enum ShippedConfigurations {
    /// model type → configuration JSON.
    public static let byModelType: [String: String] = [
        "vae": #"{"beta":1,"decoder":"bernoulli","latent":16,"sigma":0.1,"warmup":0}"#,
        "vqvae":
            #"{"D":64,"K":256,"beta":0.25,"decay":0.99,"ema":true,"epsilon":1e-05,"kmeans_init":true,"kmeans_iterations":10,"restart_after":100,"restart_every":100}"#,
        "ddpm":
            #"{"diffusion":{"T":1000,"p_uncond":0.1,"prediction":"epsilon","schedule":{"linear":{"end":0.02,"start":0.0001}}},"unet":{"attn_resolutions":[7],"ch":32,"ch_mult":[1,2,2],"dropout":0,"in_ch":1,"norm_groups":32,"num_classes":10,"num_res_blocks":1,"resolution":28}}"#,
        "classifier": #"{"channels":[32,32],"classes":10,"features":128}"#,
    ]

    /// The shipped folder of each model type, relative to the repository root.
    public static let folders: [String: String] = [
        "vae": "models/fmnist-vae", "vqvae": "models/fmnist-vq", "ddpm": "models/fmnist-ddpm",
        "classifier": "models/fmnist-classifier",
    ]
}
