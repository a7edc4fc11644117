using k8s.Models;
using Kube.Core.Client;
using Kube.Scheduling.Framework;

namespace Kube.Scheduling.Plugins.DefaultBinder;

/// <summary>Bind: POSTs a <see cref="V1Binding"/> to the pod's <c>binding</c> subresource.</summary>
public sealed class DefaultBinderPlugin(IKubeClient client) : IBindPlugin
{
    public const string PluginName = "DefaultBinder";

    public string Name => PluginName;

    public async Task<Status> BindAsync(CycleState state, V1Pod pod, string nodeName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pod);
        var binding = new V1Binding
        {
            ApiVersion = "v1",
            Kind = "Binding",
            Metadata = new V1ObjectMeta { Name = pod.Metadata.Name, NamespaceProperty = pod.Metadata.NamespaceProperty, Uid = pod.Metadata.Uid },
            Target = new V1ObjectReference { ApiVersion = "v1", Kind = "Node", Name = nodeName },
        };
        await client.CreateSubresourceAsync<V1Pod>(pod.Metadata.Name, pod.Metadata.NamespaceProperty, "binding", binding, cancellationToken: cancellationToken).ConfigureAwait(false);
        return Status.Success;
    }
}
