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

    /// <summary>The ConfigMaps ("configmap") and Secrets ("secret") a container's env and envFrom name, as (kind, name).</summary>
    public static IEnumerable<(string Kind, string Name)> References(V1Container container)
    {
        foreach (var from in container.EnvFrom ?? [])
        {
            if (from.ConfigMapRef?.Name is { } cm)
            {
                yield return ("configmap", cm);
            }

            if (from.SecretRef?.Name is { } secret)
            {
                yield return ("secret", secret);
            }
        }

        foreach (var e in container.Env ?? [])
        {
            if (e.ValueFrom?.ConfigMapKeyRef?.Name is { } cm)
            {
                yield return ("configmap", cm);
            }

            if (e.ValueFrom?.SecretKeyRef?.Name is { } secret)
            {
                yield return ("secret", secret);
            }
        }
    }

    /// <summary>
    /// The container's environment: the pod-wide variables, then envFrom sources, then its env entries in order.
    /// <paramref name="sources"/> maps (kind, name) of the referenced ConfigMaps and Secrets to their data (null: not found).
    /// Throws <see cref="ContainerConfigException"/> for a missing, non-optional source or key.
    /// </summary>
    public static Dictionary<string, string> Resolve(V1Pod pod, V1Container container, string? podIp, IReadOnlyDictionary<string, string> podWide,
        IReadOnlyDictionary<(string Kind, string Name), IReadOnlyDictionary<string, string>?>? sources = null)
    {
        var env = new Dictionary<string, string>(podWide, StringComparer.Ordinal);
        IReadOnlyDictionary<string, string>? Source(string kind, string name, bool optional)
        {
            var data = sources?.GetValueOrDefault((kind, name));
            if (data is null && !optional)
            {
                throw new ContainerConfigException($"{kind} \"{name}\" not found");
            }

            return data;
        }

        foreach (var from in container.EnvFrom ?? [])
        {
            var data = from.ConfigMapRef is { } cm ? Source("configmap", cm.Name, cm.Optional == true)
                : from.SecretRef is { } sr ? Source("secret", sr.Name, sr.Optional == true) : null;
            foreach (var (k, v) in data ?? new Dictionary<string, string>())
            {
                env[(from.Prefix ?? "") + k] = v;
            }
        }

        foreach (var e in container.Env ?? [])
        {
            string? value;
            if (e.ValueFrom?.ConfigMapKeyRef is { } cmKey)
            {
                value = Key(Source("configmap", cmKey.Name, cmKey.Optional == true), "configmap", cmKey.Name, cmKey.Key, cmKey.Optional == true);
            }
            else if (e.ValueFrom?.SecretKeyRef is { } secretKey)
            {
                value = Key(Source("secret", secretKey.Name, secretKey.Optional == true), "secret", secretKey.Name, secretKey.Key, secretKey.Optional == true);
            }
            else
            {
                value = e.Value is not null
                    ? Expand(e.Value, env)
                    : FieldRef(pod, e.ValueFrom?.FieldRef?.FieldPath, podIp);
            }

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

    internal static string? FieldRef(V1Pod pod, string? path, string? podIp) => path switch
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

    private static string? Key(IReadOnlyDictionary<string, string>? data, string kind, string name, string key, bool optional)
    {
        if (data is null)
        {
            return null;
        }

        if (data.TryGetValue(key, out var value))
        {
            return value;
        }

        return optional ? null : throw new ContainerConfigException($"couldn't find key {key} in {kind} {name}");
    }

    private static string? Lookup(IDictionary<string, string>? map, string key) =>
        map is not null && map.TryGetValue(key, out var value) ? value : null;
}
