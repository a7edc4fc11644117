using Kube.Core.Admission;

namespace Kube.ApiServer.Admission;

/// <summary>Runs the registered admission plugins: every mutating one in order, then (separately) every validating one.</summary>
internal sealed class AdmissionChain(IEnumerable<IAdmissionPlugin> plugins)
{
    private readonly IAdmissionPlugin[] _mutating = plugins.Where(p => p.IsMutating).ToArray();
    private readonly IAdmissionPlugin[] _validating = plugins.Where(p => !p.IsMutating).ToArray();

    public bool IsEmpty => _mutating.Length == 0 && _validating.Length == 0;

    public async ValueTask MutateAsync(AdmissionRequest request, CancellationToken ct)
    {
        foreach (var p in _mutating)
        {
            if (p.Handles(request)) await p.AdmitAsync(request, ct).ConfigureAwait(false);
        }
    }

    public async ValueTask ValidateAsync(AdmissionRequest request, CancellationToken ct)
    {
        foreach (var p in _validating)
        {
            if (p.Handles(request)) await p.AdmitAsync(request, ct).ConfigureAwait(false);
        }
    }
}
