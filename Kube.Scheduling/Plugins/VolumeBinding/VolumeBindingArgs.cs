namespace Kube.Scheduling.Plugins.VolumeBinding;

/// <summary>VolumeBinding's arguments (upstream's VolumeBindingArgs).</summary>
public sealed record VolumeBindingArgs
{
    /// <summary>
    /// How long PreBind waits for the claims it bound or sent to dynamic provisioning to become bound, in seconds.
    /// Default 600 (upstream's bindTimeoutSeconds); must not be negative (0 gives up at the first check).
    /// </summary>
    public long BindTimeoutSeconds { get; init; } = 600;
}
