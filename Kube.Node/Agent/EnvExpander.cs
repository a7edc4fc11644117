using System.Text;
using k8s.Models;

namespace Kube.Node.Agent;

/// <summary>Resolves container env (literal values with <c>$(VAR)</c> references, and downward-API field refs) and expands command and args.</summary>
internal static class EnvExpander
{
    /// <summary>Expands <c>$(NAME)</c> from <paramref name="vars"/>; <c>$$</c> is a literal <c>$</c>; unknown references stay as written.</summary>
    public static string Expand(string input, IReadOnlyDictionary<string, string> vars)
    {
        if (!input.Contains('$', StringComparison.Ordinal))
        {
            return input;
        }

        var sb = new StringBuilder(input.Length);
        for (var i = 0; i < input.Length; i++)
        {
            if (input[i] == '$' && i + 1 < input.Length)
            {
                if (input[i + 1] == '$')
                {
                    sb.Append('$');
                    i++;
                    continue;
                }

                if (input[i + 1] == '(')
                {
                    var close = input.IndexOf(')', i + 2);
                    if (close > 0)
                    {
                        var name = input[(i + 2)..close];
                        if (vars.TryGetValue(name, out var value))
                        {
                            sb.Append(value);
                            i = close;
                            continue;
                        }
                    }
                }
            }

            sb.Append(input[i]);
        }

        return sb.ToString();
    }

    /// <summary>The container's environment: the pod-wide variables, then its env entries in order.</summary>
    public static Dictionary<string, string> Resolve(V1Pod pod, V1Container container, string? podIp, IReadOnlyDictionary<string, string> podWide)
    {
        var env = new Dictionary<string, string>(podWide, StringComparer.Ordinal);
        foreach (var e in container.Env ?? [])
        {
            var value = e.Value is not null
                ? Expand(e.Value, env)
                : FieldRef(pod, e.ValueFrom?.FieldRef?.FieldPath, podIp);
            if (value is not null)
            {
                env[e.Name] = value;
            }
            else if (e.ValueFrom is null)
            {
                env[e.Name] = "";
            }
        }

        return env;
    }

    private static string? FieldRef(V1Pod pod, string? path, string? podIp) => path switch
    {
        null => null,
        "metadata.name" => pod.Metadata.Name,
        "metadata.namespace" => pod.Metadata.NamespaceProperty,
        "metadata.uid" => pod.Metadata.Uid,
        "spec.nodeName" => pod.Spec.NodeName,
        "spec.serviceAccountName" => pod.Spec.ServiceAccountName,
        "status.podIP" => podIp,
        "status.hostIP" => "127.0.0.1",
        _ when path.StartsWith("metadata.labels['", StringComparison.Ordinal) && path.EndsWith("']", StringComparison.Ordinal) =>
            Lookup(pod.Metadata.Labels, path["metadata.labels['".Length..^2]),
        _ when path.StartsWith("metadata.annotations['", StringComparison.Ordinal) && path.EndsWith("']", StringComparison.Ordinal) =>
            Lookup(pod.Metadata.Annotations, path["metadata.annotations['".Length..^2]),
        _ => null,
    };

    private static string? Lookup(IDictionary<string, string>? map, string key) =>
        map is not null && map.TryGetValue(key, out var value) ? value : null;
}
