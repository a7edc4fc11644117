using System.Globalization;
using k8s.Models;

namespace Kube.Controllers.BuiltIn.DaemonSet;

/// <summary>Which nodes a DaemonSet's pod belongs on: nodeSelector, required node affinity, and taints against tolerations.</summary>
internal static class DaemonNodes
{
    /// <summary>Upstream's tolerations every daemon pod gets (network-unavailable only with hostNetwork).</summary>
    public static IEnumerable<V1Toleration> DefaultTolerations(bool hostNetwork)
    {
        yield return new V1Toleration { Key = "node.kubernetes.io/not-ready", OperatorProperty = "Exists", Effect = "NoExecute" };
        yield return new V1Toleration { Key = "node.kubernetes.io/unreachable", OperatorProperty = "Exists", Effect = "NoExecute" };
        yield return new V1Toleration { Key = "node.kubernetes.io/disk-pressure", OperatorProperty = "Exists", Effect = "NoSchedule" };
        yield return new V1Toleration { Key = "node.kubernetes.io/memory-pressure", OperatorProperty = "Exists", Effect = "NoSchedule" };
        yield return new V1Toleration { Key = "node.kubernetes.io/pid-pressure", OperatorProperty = "Exists", Effect = "NoSchedule" };
        yield return new V1Toleration { Key = "node.kubernetes.io/unschedulable", OperatorProperty = "Exists", Effect = "NoSchedule" };
        if (hostNetwork) yield return new V1Toleration { Key = "node.kubernetes.io/network-unavailable", OperatorProperty = "Exists", Effect = "NoSchedule" };
    }

    /// <summary>The pod spec's tolerations plus the defaults it does not have yet.</summary>
    public static List<V1Toleration> WithDefaults(V1PodSpec spec)
    {
        var list = spec.Tolerations?.ToList() ?? [];
        foreach (var t in DefaultTolerations(spec.HostNetwork == true))
            if (!list.Any(x => x.Key == t.Key && x.Effect == t.Effect)) list.Add(t);
        return list;
    }

    /// <summary>
    /// (ShouldRun, ShouldContinueRunning) for a daemon pod of <paramref name="spec"/> on <paramref name="node"/>: a new pod
    /// needs every NoSchedule and NoExecute taint tolerated; a running one only has to leave for untolerated NoExecute.
    /// </summary>
    public static (bool ShouldRun, bool ShouldContinueRunning) Evaluate(V1PodSpec spec, V1Node node)
    {
        if (!SelectorMatches(spec, node)) return (false, false);
        var tolerations = WithDefaults(spec);
        var taints = node.Spec?.Taints ?? [];
        var noExecute = taints.Where(t => t.Effect == "NoExecute").All(t => tolerations.Any(x => Tolerates(x, t)));
        var noSchedule = taints.Where(t => t.Effect == "NoSchedule").All(t => tolerations.Any(x => Tolerates(x, t)));
        return (noExecute && noSchedule, noExecute);
    }

    public static bool Tolerates(V1Toleration toleration, V1Taint taint)
    {
        if (!string.IsNullOrEmpty(toleration.Effect) && toleration.Effect != taint.Effect) return false;
        if (string.IsNullOrEmpty(toleration.Key)) return toleration.OperatorProperty == "Exists";
        if (toleration.Key != taint.Key) return false;
        return toleration.OperatorProperty == "Exists" || (toleration.Value ?? "") == (taint.Value ?? "");
    }

    private static bool SelectorMatches(V1PodSpec spec, V1Node node)
    {
        var labels = node.Metadata.Labels ?? new Dictionary<string, string>();
        foreach (var (k, v) in spec.NodeSelector ?? new Dictionary<string, string>())
            if (!labels.TryGetValue(k, out var actual) || actual != v) return false;
        var terms = spec.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution?.NodeSelectorTerms;
        if (terms is null || terms.Count == 0) return true;
        return terms.Any(term => TermMatches(term, node, labels));
    }

    private static bool TermMatches(V1NodeSelectorTerm term, V1Node node, IDictionary<string, string> labels)
    {
        var expressions = term.MatchExpressions ?? [];
        var fields = term.MatchFields ?? [];
        if (expressions.Count == 0 && fields.Count == 0) return false;
        foreach (var e in expressions)
        {
            var has = labels.TryGetValue(e.Key, out var value);
            var ok = e.OperatorProperty switch
            {
                "In" => has && e.Values?.Contains(value!) == true,
                "NotIn" => !has || e.Values?.Contains(value!) != true,
                "Exists" => has,
                "DoesNotExist" => !has,
                "Gt" => has && Compare(value!, e.Values) > 0,
                "Lt" => has && Compare(value!, e.Values) < 0,
                _ => false,
            };
            if (!ok) return false;
        }

        foreach (var f in fields)
        {
            if (f.Key != "metadata.name") return false;
            var inList = f.Values?.Contains(node.Metadata.Name) == true;
            if (f.OperatorProperty == "In" ? !inList : f.OperatorProperty == "NotIn" ? inList : true) return false;
        }

        return true;
    }

    private static int Compare(string value, IList<string>? values)
    {
        if (values is not { Count: 1 } || !long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var a)
            || !long.TryParse(values[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var b)) return 0;
        return a.CompareTo(b);
    }

    /// <summary>The node a daemon pod targets: spec.nodeName, else the metadata.name of its required node affinity.</summary>
    public static string? TargetNode(V1Pod pod)
    {
        if (!string.IsNullOrEmpty(pod.Spec?.NodeName)) return pod.Spec.NodeName;
        return pod.Spec?.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution?.NodeSelectorTerms?
            .SelectMany(t => t.MatchFields ?? [])
            .FirstOrDefault(f => f.Key == "metadata.name" && f.OperatorProperty == "In" && f.Values is { Count: 1 })?.Values[0];
    }

    /// <summary>Upstream's ReplaceDaemonSetPodNodeNameNodeAffinity: the pod's required node affinity becomes exactly this node.</summary>
    public static void PinToNode(V1PodSpec spec, string nodeName)
    {
        spec.Affinity ??= new V1Affinity();
        spec.Affinity.NodeAffinity ??= new V1NodeAffinity();
        var field = new V1NodeSelectorRequirement { Key = "metadata.name", OperatorProperty = "In", Values = [nodeName] };
        var required = spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution;
        if (required?.NodeSelectorTerms is not { Count: > 0 } terms)
        {
            spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector { NodeSelectorTerms = [new V1NodeSelectorTerm { MatchFields = [field] }] };
            return;
        }

        foreach (var term in terms)
        {
            term.MatchFields = [field];
        }
    }
}
