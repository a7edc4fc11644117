using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kube.Controllers.BuiltIn.Deployment;
using Kube.Controllers.Internal;
using Kube.Core.Helpers;

namespace Kube.Controllers.BuiltIn.StatefulSet;

/// <summary>
/// ControllerRevisions of a StatefulSet, as upstream's history package: each distinct pod template is stored once as
/// <c>&lt;set&gt;-&lt;hash&gt;</c> with the patch <c>{"spec":{"template":{…,"$patch":"replace"}}}</c> and an increasing revision.
/// </summary>
internal static class StatefulSetRevisions
{
    public static string Hash(V1StatefulSet set) => PodTemplateHash.Compute(set.Spec.Template, set.Status?.CollisionCount);

    public static string NameFor(V1StatefulSet set, string hash) => $"{set.Metadata.Name}-{hash}";

    public static V1ControllerRevision New(V1StatefulSet set, string name, long revision)
    {
        var template = JsonNode.Parse(KubernetesJson.Serialize(set.Spec.Template))!.AsObject();
        template["$patch"] = "replace";
        var data = new JsonObject { ["spec"] = new JsonObject { ["template"] = template } };
        var labels = set.Spec.Selector?.MatchLabels is { } m ? new Dictionary<string, string>(m) : new Dictionary<string, string>();
        labels[StatefulSetPods.RevisionLabel] = name;
        return new V1ControllerRevision
        {
            ApiVersion = "apps/v1",
            Kind = "ControllerRevision",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = set.Metadata.NamespaceProperty,
                Labels = labels,
                OwnerReferences = [OwnerReferences.NewControllerRef(set)],
            },
            Data = KubernetesJson.Deserialize<object>(data.ToJsonString()),
            Revision = revision,
        };
    }

    /// <summary>The pod template a revision stores, or null when its data is not a template patch.</summary>
    public static V1PodTemplateSpec? TemplateOf(V1ControllerRevision revision)
    {
        if (revision.Data is null) return null;
        var node = JsonNode.Parse(KubernetesJson.Serialize(revision.Data)) as JsonObject;
        if (node?["spec"]?["template"] is not JsonObject template) return null;
        template.Remove("$patch");
        return KubernetesJson.Deserialize<V1PodTemplateSpec>(template.ToJsonString());
    }

    /// <summary>True when a stored revision holds the same template as the set's.</summary>
    public static bool Matches(V1ControllerRevision revision, V1StatefulSet set) =>
        TemplateOf(revision) is { } t && PodTemplateHash.EqualIgnoringHash(t, ObjectCopy.Clone(set.Spec.Template));
}
