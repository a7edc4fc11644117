using k8s.Models;

namespace Kube.Controllers.BuiltIn.NodeLifecycle;

/// <summary>Upstream's node-lifecycle taint keys and the pod index by node.</summary>
internal static class NodeTaints
{
    public const string NotReady = "node.kubernetes.io/not-ready";
    public const string Unreachable = "node.kubernetes.io/unreachable";
    public const string NoSchedule = "NoSchedule";
    public const string NoExecute = "NoExecute";

    /// <summary>The pod-cache index of pods by spec.nodeName.</summary>
    public const string PodsByNodeIndex = "kube-controllers/spec.nodeName";

    public static IReadOnlyList<V1Pod> PodsOn(Kube.Core.Informers.IInformer<V1Pod> pods, string node)
    {
        try
        {
            return pods.Cache.ByIndex(PodsByNodeIndex, node);
        }
        catch (InvalidOperationException)
        {
            return pods.Cache.List().Where(p => p.Spec?.NodeName == node).ToList();
        }
    }

    public static void EnsurePodIndex(Kube.Core.Informers.IInformer<V1Pod> pods)
    {
        try
        {
            pods.Cache.AddIndexer(PodsByNodeIndex, p => string.IsNullOrEmpty(p.Spec?.NodeName) ? [] : [p.Spec.NodeName]);
        }
        catch (InvalidOperationException)
        {
            // Another controller added it already.
        }
    }

    /// <summary>
    /// The taints the lifecycle controller owns for a node's Ready status: not-ready for False, unreachable for Unknown
    /// (a missing condition counts as Unknown), each with NoSchedule and NoExecute; none when Ready.
    /// </summary>
    public static List<(string Key, string Effect)> Desired(string? readyStatus) => readyStatus switch
    {
        "True" => [],
        "False" => [(NotReady, NoSchedule), (NotReady, NoExecute)],
        _ => [(Unreachable, NoSchedule), (Unreachable, NoExecute)],
    };

    public static bool IsOwned(V1Taint t) => t.Key is NotReady or Unreachable && t.Effect is NoSchedule or NoExecute;
}
