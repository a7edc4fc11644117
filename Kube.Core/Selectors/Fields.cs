using k8s;
using k8s.Models;

namespace Kube.Core.Selectors;

/// <summary>
/// The selectable fields Kubernetes supports for common kinds: <c>metadata.name</c> and <c>metadata.namespace</c> for
/// every kind, plus per kind e.g. pods' <c>spec.nodeName</c>, <c>spec.schedulerName</c>, <c>status.phase</c>,
/// <c>spec.serviceAccountName</c>, <c>spec.restartPolicy</c>, <c>status.podIP</c>, <c>status.nominatedNodeName</c>;
/// nodes' <c>spec.unschedulable</c>; secrets' <c>type</c>; events' <c>involvedObject.*</c>, <c>reason</c>, <c>type</c>, <c>source</c>;
/// namespaces' <c>status.phase</c>; jobs' <c>status.successful</c>.
/// </summary>
public static class Fields
{
    /// <summary>The field's value for <paramref name="obj"/>, or null when the kind does not support that field.</summary>
    public static string? Get(IKubernetesObject<V1ObjectMeta> obj, string field)
    {
        ArgumentNullException.ThrowIfNull(obj);
        switch (field)
        {
            case "metadata.name": return obj.Metadata?.Name ?? "";
            case "metadata.namespace": return obj.Metadata?.NamespaceProperty ?? "";
        }

        return obj switch
        {
            V1Pod p => field switch
            {
                "spec.nodeName" => p.Spec?.NodeName ?? "",
                "spec.schedulerName" => p.Spec?.SchedulerName ?? "",
                "spec.serviceAccountName" => p.Spec?.ServiceAccountName ?? "",
                "spec.restartPolicy" => p.Spec?.RestartPolicy ?? "",
                "spec.hostNetwork" => (p.Spec?.HostNetwork ?? false) ? "true" : "false",
                "status.phase" => p.Status?.Phase ?? "",
                "status.podIP" => p.Status?.PodIP ?? "",
                "status.nominatedNodeName" => p.Status?.NominatedNodeName ?? "",
                _ => null,
            },
            V1Node n => field == "spec.unschedulable" ? ((n.Spec?.Unschedulable ?? false) ? "true" : "false") : null,
            V1Namespace ns => field == "status.phase" ? ns.Status?.Phase ?? "" : null,
            V1Secret s => field == "type" ? s.Type ?? "" : null,
            V1Job j => field == "status.successful" ? (j.Status?.Succeeded ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
            Corev1Event e => field switch
            {
                "involvedObject.kind" => e.InvolvedObject?.Kind ?? "",
                "involvedObject.namespace" => e.InvolvedObject?.NamespaceProperty ?? "",
                "involvedObject.name" => e.InvolvedObject?.Name ?? "",
                "involvedObject.uid" => e.InvolvedObject?.Uid ?? "",
                "involvedObject.apiVersion" => e.InvolvedObject?.ApiVersion ?? "",
                "involvedObject.resourceVersion" => e.InvolvedObject?.ResourceVersion ?? "",
                "involvedObject.fieldPath" => e.InvolvedObject?.FieldPath ?? "",
                "reason" => e.Reason ?? "",
                "reportingComponent" => e.ReportingComponent ?? "",
                "source" => e.Source?.Component ?? "",
                "type" => e.Type ?? "",
                _ => null,
            },
            _ => null,
        };
    }
}
