using k8s.Models;

namespace Kube.Scheduling.Framework;

/// <summary>A pod held by Permit plugins that returned <see cref="StatusCode.Wait"/>, until they allow or reject it.</summary>
public interface IWaitingPod
{
    V1Pod Pod { get; }

    /// <summary>The node the pod is reserved on.</summary>
    string NodeName { get; }

    /// <summary>The plugins that have not allowed the pod yet.</summary>
    IReadOnlyList<string> PendingPlugins { get; }

    /// <summary>Allows the pod on behalf of <paramref name="pluginName"/>; once every waiting plugin allowed it, it binds.</summary>
    void Allow(string pluginName);

    /// <summary>Rejects the pod: it is unreserved and retried.</summary>
    void Reject(string pluginName, string message);
}
