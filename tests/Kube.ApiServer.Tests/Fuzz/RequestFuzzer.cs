using System.Text;
using System.Text.Json.Nodes;

namespace Kube.ApiServer.Tests.Fuzz;

/// <summary>
/// A deterministic generator of malformed and mutated API requests: request <c>i</c> of seed <c>s</c> depends only on
/// (s, i), so a failure is replayed by running that one index. Targets are the "fuzz" namespace and names from a
/// small pool; the sentinel namespace and its objects are never named, so they must come out unchanged.
/// </summary>
internal sealed class RequestFuzzer(int seed)
{
    private static readonly string[] Namespaces = ["fuzz", "fuzz", "fuzz", "fuzz", "fuzz", "fuzz", "default", "kube-system", "no-such-ns", "Fuzz", "a%25b", "..", "x".PadRight(300, 'x')];
    private static readonly string[] Names = ["fz-a", "fz-b", "fz-c", "fz-cm", "fz-deploy", "fz-pod", "fz-thing", "", ".", "UPPER", "a%25b", "%2F", "x".PadRight(300, 'y'), "ünïcode", "fz-a?x=1"];
    private static readonly (string Prefix, string Resource, bool Namespaced)[] Resources =
    [
        ("/api/v1", "configmaps", true), ("/api/v1", "pods", true), ("/api/v1", "secrets", true), ("/api/v1", "services", true),
        ("/api/v1", "events", true), ("/api/v1", "serviceaccounts", true), ("/apis/apps/v1", "deployments", true),
        ("/apis/apps/v1", "replicasets", true), ("/apis/batch/v1", "jobs", true), ("/apis/batch/v1", "cronjobs", true),
        ("/apis/fuzz.example.com/v1", "things", true), ("/apis/networking.k8s.io/v1", "ingresses", true),
        ("/apis/coordination.k8s.io/v1", "leases", true), ("/apis/events.k8s.io/v1", "events", true),
        ("/apis/metrics.k8s.io/v1beta1", "pods", true), ("/api/v1", "nopes", true), ("/apis/nope.example.com/v1", "things", true),
        ("/api/v1", "nodes", false), ("/apis/rbac.authorization.k8s.io/v1", "clusterroles", false),
        ("/apis/storage.k8s.io/v1", "storageclasses", false), ("/apis/metrics.k8s.io/v1beta1", "nodes", false),
    ];
    private static readonly string[] Subresources = ["status", "scale", "binding", "eviction", "log", "finalize", "nope", "status/extra"];
    private static readonly string[] OtherPaths =
    [
        "/", "/api", "/apis", "/api/v1", "/apis/apps", "/apis/apps/v1", "/apis/nope", "/version", "/healthz", "/livez", "/readyz",
        "/openapi/v2", "/openapi/v3", "/openapi/v3/api/v1", "/openapi/v3/apis/apps/v1", "/openapi/v3/apis/nope/v9", "/openapi/v3/../v2",
        "/api/v1/watch/namespaces/fuzz/configmaps", "/apis/apps/v1/watch/deployments", "/metrics", "/api/v1/namespaces/fuzz",
        "/api/v1/namespaces/fuzz/status", "/api/v1/namespaces/fuzz/finalize", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        "/apis/authentication.k8s.io/v1/selfsubjectreviews", "/apis/authentication.k8s.io/v1/tokenreviews", "//api//v1//",
        "/api/v1/namespaces//configmaps", "/api/v1/namespaces/fuzz/configmaps/a/b/c/d/e", "/%00", "/api/v1/%FF", "/apis/%2e%2e/v1",
    ];
    private static readonly string[] Methods = ["GET", "GET", "GET", "POST", "POST", "PUT", "PATCH", "PATCH", "PATCH", "DELETE", "HEAD", "OPTIONS", "FOO"];
    private static readonly string[] ContentTypes =
    [
        "application/json", "application/json", "application/json; charset=utf-8", "application/yaml", "application/vnd.kubernetes.protobuf",
        "application/merge-patch+json", "application/strategic-merge-patch+json", "application/json-patch+json", "application/apply-patch+yaml",
        "text/plain", "application/xml", "", "*/*", "application/json; charset=utf-16", "application/vnd.kubernetes.protobuf;stream=watch",
        "multipart/form-data; boundary=x", "application/cbor",
    ];
    private static readonly string[] PatchTypes =
        ["application/merge-patch+json", "application/strategic-merge-patch+json", "application/json-patch+json", "application/apply-patch+yaml"];
    private static readonly string[] QueryKeys =
    [
        "limit", "continue", "labelSelector", "fieldSelector", "resourceVersion", "resourceVersionMatch", "timeoutSeconds", "dryRun",
        "fieldManager", "fieldValidation", "force", "propagationPolicy", "gracePeriodSeconds", "orphanDependents", "sendInitialEvents",
        "allowWatchBookmarks", "includeObject", "pretty", "container", "tailLines", "follow", "nope", "",
    ];
    private static readonly string[] QueryValues =
    [
        "", "0", "1", "-1", "500", "99999999999999999999", "abc", "true", "false", "All", "Strict", "Warn", "Ignore", "Orphan", "Foreground",
        "Exact", "NotOlderThan", "NotExact", "app=web", "app in (a,b)", "app in (", "!!a", "a=b,c!=d", "metadata.name=fz-a", "spec.nodeName=x",
        "status.phase=Running", "nope.field=x", "metadata.name==", "=", "%", "%ZZ", "\u0000", "ÿ", "a".PadRight(5000, 'a'),
        "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MSwic3RhcnQiOiJ4In0", "Object", "None", "1e9", "0x10",
    ];
    private static readonly string[] Templates =
    [
        """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fz-cm","labels":{"app":"fuzz"},"annotations":{"a":"b"}},"data":{"k":"v"},"binaryData":{"b":"AAAA"}}""",
        """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"fz-pod","labels":{"app":"fuzz"}},"spec":{"containers":[{"name":"c","image":"busybox","command":["sleep","1"],"ports":[{"containerPort":80}],"env":[{"name":"A","value":"1"}],"resources":{"limits":{"cpu":"100m","memory":"1Gi"}}}],"restartPolicy":"Never","tolerations":[{"key":"k","operator":"Exists"}]}}""",
        """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"fz-deploy"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"fz"},"matchExpressions":[{"key":"tier","operator":"In","values":["a"]}]},"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":1}},"template":{"metadata":{"labels":{"app":"fz","tier":"a"}},"spec":{"containers":[{"name":"c","image":"nginx:1"}]}}}}""",
        """{"apiVersion":"v1","kind":"Service","metadata":{"name":"fz-a"},"spec":{"type":"NodePort","selector":{"app":"fz"},"ports":[{"name":"http","port":80,"targetPort":"http","protocol":"TCP"}]}}""",
        """{"apiVersion":"v1","kind":"Secret","metadata":{"name":"fz-b"},"type":"Opaque","data":{"p":"cGFzcw=="},"stringData":{"q":"x"}}""",
        """{"apiVersion":"fuzz.example.com/v1","kind":"Thing","metadata":{"name":"fz-thing"},"spec":{"size":3,"color":"red","tags":["a","b"],"nested":{"depth":{"x":1}}}}""",
        """{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"fz-c"},"spec":{"backoffLimit":1,"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"busybox"}]}}}}""",
        """{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"fz-pod","namespace":"fuzz"},"deleteOptions":{"gracePeriodSeconds":0}}""",
        """{"apiVersion":"v1","kind":"Binding","metadata":{"name":"fz-pod"},"target":{"apiVersion":"v1","kind":"Node","name":"fz-node"}}""",
        """{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"fz-deploy","namespace":"fuzz"},"spec":{"replicas":3}}""",
        """{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Foreground","gracePeriodSeconds":5,"preconditions":{"uid":"x","resourceVersion":"1"},"dryRun":["All"]}""",
        """{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"verb":"get","resource":"pods","namespace":"fuzz"}}}""",
        """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"fz-a"},"spec":{"finalizers":["kubernetes"]}}""",
    ];

    /// <summary>Where each of the first templates is served, and the name of the object the set-up created there.</summary>
    private static readonly (string Collection, string Existing)[] TemplateTargets =
    [
        ("/api/v1/namespaces/fuzz/configmaps", "fz-a"), ("/api/v1/namespaces/fuzz/pods", "fz-pod"),
        ("/apis/apps/v1/namespaces/fuzz/deployments", "fz-deploy"), ("/api/v1/namespaces/fuzz/services", "fz-a"),
        ("/api/v1/namespaces/fuzz/secrets", "fz-b"), ("/apis/fuzz.example.com/v1/namespaces/fuzz/things", "fz-thing"),
        ("/apis/batch/v1/namespaces/fuzz/jobs", "fz-c"),
    ];

    public FuzzRequest Generate(int index)
    {
        var r = new Random(unchecked(seed * 1_000_003 + index));
        return r.Next(12) switch
        {
            0 => RandomPath(r),
            1 => Protobuf(r),
            2 => YamlGarbage(r),
            3 or 4 => PatchRequest(r),
            5 => Query(r),
            6 or 7 => ObjectRequest(r),
            _ => TargetedRequest(r),
        };
    }

    private static T Pick<T>(Random r, IReadOnlyList<T> items) => items[r.Next(items.Count)];

    private static string ResourcePath(Random r, bool named, bool allowSubresource = true)
    {
        var (prefix, resource, namespaced) = Pick(r, Resources);
        var path = namespaced && r.Next(8) != 0 ? $"{prefix}/namespaces/{Pick(r, Namespaces)}/{resource}" : $"{prefix}/{resource}";
        if (!named) return path;
        path += "/" + Pick(r, Names);
        if (allowSubresource && r.Next(4) == 0) path += "/" + Pick(r, Subresources);
        return path;
    }

    private static string RandomQuery(Random r, int max = 4)
    {
        var n = r.Next(max + 1);
        if (n == 0) return "";
        var parts = new List<string>();
        for (var i = 0; i < n; i++)
        {
            var key = Pick(r, QueryKeys);
            var value = Pick(r, QueryValues);
            parts.Add(r.Next(6) == 0 ? key : $"{Uri.EscapeDataString(key)}={Uri.EscapeDataString(value)}");
        }
        return "?" + string.Join('&', parts);
    }

    private static FuzzRequest RandomPath(Random r)
    {
        string path;
        if (r.Next(2) == 0) path = Pick(r, OtherPaths);
        else
        {
            var segs = Enumerable.Range(0, r.Next(1, 8)).Select(_ => r.Next(5) switch
            {
                0 => Pick(r, Names),
                1 => Pick(r, Namespaces),
                2 => Pick(r, Subresources),
                3 => Pick(r, ["api", "apis", "v1", "namespaces", "watch", "proxy", "openapi", "v3", ".."]),
                _ => Uri.EscapeDataString(RandomString(r, r.Next(1, 20))),
            });
            path = "/" + string.Join('/', segs);
        }
        var method = Pick(r, Methods);
        byte[]? body = method is "POST" or "PUT" or "PATCH" ? RandomBytes(r, r.Next(0, 64)) : null;
        return new FuzzRequest(method, path + RandomQuery(r, 2), body is null ? null : Pick(r, ContentTypes), body, "path");
    }

    private static FuzzRequest Protobuf(Random r)
    {
        var bytes = new List<byte>();
        if (r.Next(5) != 0) bytes.AddRange("k8s\0"u8.ToArray());
        if (r.Next(2) == 0)
        {
            // A runtime.Unknown envelope with a plausible TypeMeta and random raw bytes.
            var apiVersion = Encoding.UTF8.GetBytes(Pick(r, ["v1", "apps/v1", "batch/v1", "authorization.k8s.io/v1", "x"]));
            var kind = Encoding.UTF8.GetBytes(Pick(r, ["ConfigMap", "Namespace", "Secret", "Deployment", "Job", "SelfSubjectAccessReview", "Pod", "Nope"]));
            var typeMeta = new List<byte> { 0x0a, (byte)apiVersion.Length };
            typeMeta.AddRange(apiVersion);
            typeMeta.Add(0x12);
            typeMeta.Add((byte)kind.Length);
            typeMeta.AddRange(kind);
            bytes.Add(0x0a);
            bytes.Add((byte)typeMeta.Count);
            bytes.AddRange(typeMeta);
            var raw = RandomProtobuf(r, r.Next(0, 200));
            bytes.Add(0x12);
            bytes.AddRange(Varint((ulong)(r.Next(8) == 0 ? raw.Length + r.Next(-5, 1000) : raw.Length)));
            bytes.AddRange(raw);
        }
        else
        {
            bytes.AddRange(RandomBytes(r, r.Next(0, 300)));
        }
        var (prefix, resource, namespaced) = Pick(r, Resources);
        var path = namespaced ? $"{prefix}/namespaces/fuzz/{resource}" : $"{prefix}/{resource}";
        var method = Pick(r, ["POST", "POST", "PUT"]);
        if (method == "PUT") path += "/" + Pick(r, Names);
        return new FuzzRequest(method, path + RandomQuery(r, 2), "application/vnd.kubernetes.protobuf", bytes.ToArray(), "protobuf");
    }

    private static byte[] RandomProtobuf(Random r, int length)
    {
        var bytes = new List<byte>();
        while (bytes.Count < length)
        {
            var field = r.Next(1, 20);
            var wire = Pick(r, [0, 0, 2, 2, 2, 1, 5, 3, 7]);
            bytes.AddRange(Varint((ulong)(field << 3 | wire)));
            switch (wire)
            {
                case 0: bytes.AddRange(Varint((ulong)r.NextInt64())); break;
                case 2:
                    var inner = r.Next(3) == 0 ? RandomProtobuf(r, r.Next(0, 40)) : RandomBytes(r, r.Next(0, 30));
                    bytes.AddRange(Varint((ulong)(r.Next(10) == 0 ? inner.Length + r.Next(1, 100) : inner.Length)));
                    bytes.AddRange(inner);
                    break;
                default: bytes.AddRange(RandomBytes(r, r.Next(0, 9))); break;
            }
        }
        return bytes.ToArray();
    }

    private static IEnumerable<byte> Varint(ulong v)
    {
        do
        {
            var b = (byte)(v & 0x7f);
            v >>= 7;
            yield return v == 0 ? b : (byte)(b | 0x80);
        } while (v != 0);
    }

    private static FuzzRequest YamlGarbage(Random r)
    {
        var tokens = new[] { ":", " ", "-", "- ", "[", "]", "{", "}", ",", "&a ", "*a", "!!str ", "!!binary ", "|", ">", "#", "'", "\"", "\n", "\t", "  ",
            "apiVersion: v1\n", "kind: ConfigMap\n", "metadata:\n  name: fz-a\n", "---\n", "...\n", "? ", "%YAML 1.2\n", "<<: *a\n", "~", "null", "0x1F", "1e400", "ü" };
        var sb = new StringBuilder();
        if (r.Next(2) == 0) sb.Append("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fz-a\n");
        var n = r.Next(1, 60);
        for (var i = 0; i < n; i++) sb.Append(Pick(r, tokens));
        if (r.Next(10) == 0)
        {
            // Billion laughs: aliases are refused, never expanded.
            sb.Append("\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\n");
        }
        if (r.Next(15) == 0) sb.Append(new string('[', r.Next(200, 20000)));
        if (r.Next(15) == 0) sb.Append(string.Concat(Enumerable.Repeat("- ", r.Next(200, 5000))));
        var contentType = Pick(r, ["application/apply-patch+yaml", "application/apply-patch+yaml", "application/yaml"]);
        var method = contentType == "application/yaml" ? "POST" : "PATCH";
        var path = method == "POST" ? ResourcePath(r, named: false) : ResourcePath(r, named: true, allowSubresource: r.Next(4) == 0);
        return new FuzzRequest(method, path + "?fieldManager=fuzz" + RandomQuery(r, 1).Replace('?', '&'), contentType, Encoding.UTF8.GetBytes(sb.ToString()), "yaml");
    }

    private static FuzzRequest PatchRequest(Random r)
    {
        var type = Pick(r, PatchTypes);
        JsonNode body = type switch
        {
            "application/json-patch+json" => JsonPatchOps(r),
            "application/apply-patch+yaml" => Mutate(r, JsonNode.Parse(Pick(r, Templates))!, r.Next(0, 3)),
            _ => Mutate(r, SmpOrMerge(r), r.Next(0, 3)),
        };
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        if (r.Next(8) == 0) bytes = CorruptBytes(r, bytes);
        var contentType = r.Next(10) == 0 ? Pick(r, ContentTypes) : type;
        var query = type == "application/apply-patch+yaml" && r.Next(4) != 0 ? "?fieldManager=fuzz" + RandomQuery(r, 1).Replace('?', '&') : RandomQuery(r, 2);
        return new FuzzRequest("PATCH", ResourcePath(r, named: true) + query, contentType, bytes, "patch");
    }

    private static JsonNode SmpOrMerge(Random r)
    {
        var o = JsonNode.Parse(Pick(r, Templates))!.AsObject();
        o.Remove("apiVersion");
        o.Remove("kind");
        switch (r.Next(8))
        {
            case 0: o["$patch"] = Pick(r, ["delete", "replace", "merge", "nope"]); break;
            case 1: o["metadata"] = new JsonObject { ["$retainKeys"] = new JsonArray("name", 1, null), ["labels"] = null }; break;
            case 2:
                o["spec"] = new JsonObject
                {
                    ["$setElementOrder/containers"] = new JsonArray(new JsonObject { ["name"] = "c" }, "x"),
                    ["containers"] = new JsonArray(new JsonObject { ["name"] = "c", ["$patch"] = "delete" }, new JsonObject { ["$patch"] = "replace" }, 5),
                };
                break;
            case 3: o["metadata"] = new JsonObject { ["$deleteFromPrimitiveList/finalizers"] = new JsonArray("a", 3), ["finalizers"] = "notalist" }; break;
            case 4: o["metadata"] = new JsonObject { ["resourceVersion"] = Pick(r, ["1", "abc", "-1", "99999999"]), ["uid"] = "x", ["name"] = "other" }; break;
            case 5: o["status"] = new JsonObject { ["phase"] = 5, ["conditions"] = new JsonArray(null, "x", new JsonObject()) }; break;
        }
        return o;
    }

    private static JsonArray JsonPatchOps(Random r)
    {
        var ops = new JsonArray();
        var n = r.Next(0, 5);
        for (var i = 0; i < n; i++)
        {
            var op = new JsonObject
            {
                ["op"] = Pick(r, ["add", "remove", "replace", "move", "copy", "test", "nope", ""]),
                ["path"] = Pick(r, ["", "/", "/metadata/labels/x", "/metadata/labels", "/spec/replicas", "/spec/containers/0/image", "/spec/containers/-",
                    "/spec/containers/99", "/data/~1a~0b", "/a/b/c/d", "/metadata/~2", "/spec/containers/-1", "/metadata/resourceVersion", "/kind", "/apiVersion",
                    "/metadata/name", "/spec/template/spec/containers/00", "no-slash"]),
            };
            if (r.Next(3) != 0) op["value"] = RandomValue(r, 2);
            if (r.Next(3) == 0) op["from"] = Pick(r, ["/metadata/labels", "/spec", "", "/nope", "/metadata/labels/app"]);
            if (r.Next(10) == 0) op.Remove("op");
            ops.Add(op);
        }
        if (r.Next(10) == 0) ops.Add("not an op");
        return ops;
    }

    private static FuzzRequest Query(Random r)
    {
        var method = Pick(r, ["GET", "GET", "GET", "DELETE"]);
        var path = method == "DELETE"
            ? $"{Pick(r, Resources.Where(x => x.Namespaced).ToList()).Prefix}/namespaces/fuzz/{Pick(r, ["configmaps", "secrets", "pods"])}"
            : ResourcePath(r, named: r.Next(3) == 0);
        var query = RandomQuery(r, 6);
        if (r.Next(4) == 0) query += (query.Length == 0 ? "?" : "&") + "watch=" + Pick(r, ["true", "1", "false", ""]);
        var accept = r.Next(3) == 0;
        return new FuzzRequest(method, path + query, null, null, accept ? "query+table" : "query");
    }

    /// <summary>A template sent where its kind is served, little mutated: these requests get past decoding into the registry.</summary>
    private static FuzzRequest TargetedRequest(Random r)
    {
        var i = r.Next(TemplateTargets.Length);
        var (collection, existing) = TemplateTargets[i];
        var template = Mutate(r, JsonNode.Parse(Templates[i])!, r.Next(0, 3));
        var name = r.Next(3) == 0 ? Pick(r, Names) : existing;
        if (r.Next(2) == 0 && template["metadata"] is JsonObject m) m["name"] = r.Next(4) == 0 ? $"fz-new-{r.Next(1000)}" : name;
        var query = RandomQuery(r, 1);
        switch (r.Next(6))
        {
            case 0 or 1:
                return new FuzzRequest("POST", collection + query, "application/json", Encoding.UTF8.GetBytes(template.ToJsonString()), "targeted");
            case 2:
                return new FuzzRequest("PUT", $"{collection}/{name}{query}", "application/json", Encoding.UTF8.GetBytes(template.ToJsonString()), "targeted");
            case 3:
            {
                var type = Pick(r, PatchTypes);
                JsonNode patch = type switch
                {
                    "application/json-patch+json" => JsonPatchOps(r),
                    "application/apply-patch+yaml" => template,
                    _ => Mutate(r, SmpOrMerge(r), r.Next(0, 2)),
                };
                var q = type == "application/apply-patch+yaml" ? "?fieldManager=fuzz" + (r.Next(2) == 0 ? "&force=true" : "") : query;
                var sub = r.Next(4) == 0 ? "/" + Pick(r, ["status", "scale"]) : "";
                return new FuzzRequest("PATCH", $"{collection}/{existing}{sub}{q}", type, Encoding.UTF8.GetBytes(patch.ToJsonString()), "targeted");
            }
            case 4:
                return new FuzzRequest("GET", $"{collection}{(r.Next(2) == 0 ? "/" + existing : "")}{RandomQuery(r, 3)}", null, null, r.Next(2) == 0 ? "query+table" : "query");
            default:
                return new FuzzRequest("DELETE", $"{collection}/{name}{RandomQuery(r, 2)}", r.Next(2) == 0 ? "application/json" : null,
                    r.Next(2) == 0 ? Encoding.UTF8.GetBytes(Mutate(r, JsonNode.Parse(Templates[10])!, r.Next(0, 2)).ToJsonString()) : null, "targeted");
        }
    }

    private static FuzzRequest ObjectRequest(Random r)
    {
        var template = JsonNode.Parse(Pick(r, Templates))!;
        var mutated = Mutate(r, template, r.Next(0, 4));
        var bytes = Encoding.UTF8.GetBytes(mutated.ToJsonString());
        switch (r.Next(12))
        {
            case 0: bytes = CorruptBytes(r, bytes); break;
            case 1: bytes = bytes[..r.Next(bytes.Length + 1)]; break;
            case 2: bytes = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(bytes).Replace("\"name\":", "\"name\":\"dup\",\"name\":", StringComparison.Ordinal)); break;
            case 3: bytes = Encoding.UTF8.GetBytes(new string('[', r.Next(100, 3000)) + new string(']', r.Next(0, 3000))); break;
            case 4 when r.Next(20) == 0: bytes = Encoding.UTF8.GetBytes("{\"a\":\"" + new string('x', 3 * 1024 * 1024 + 10) + "\"}"); break;
        }
        var method = Pick(r, ["POST", "POST", "POST", "PUT", "DELETE"]);
        var named = method != "POST" || r.Next(6) == 0;
        var path = ResourcePath(r, named, allowSubresource: true);
        var contentType = r.Next(8) == 0 ? Pick(r, ContentTypes) : "application/json";
        return new FuzzRequest(method, path + RandomQuery(r, 2), contentType, bytes, "object");
    }

    private static JsonNode Mutate(Random r, JsonNode root, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var containers = new List<JsonNode>();
            Collect(root, containers);
            var target = Pick(r, containers);
            switch (target)
            {
                case JsonObject o when o.Count > 0:
                {
                    var key = o.ElementAt(r.Next(o.Count)).Key;
                    switch (r.Next(4))
                    {
                        case 0: o.Remove(key); break;
                        case 1: o[key] = RandomValue(r, 3); break;
                        case 2: o[RandomKey(r)] = RandomValue(r, 2); break;
                        default: o[key] = null; break;
                    }
                    break;
                }
                case JsonArray a when a.Count > 0:
                    if (r.Next(2) == 0) a[r.Next(a.Count)] = RandomValue(r, 2);
                    else a.Add(RandomValue(r, 2));
                    break;
                case JsonObject o:
                    o[RandomKey(r)] = RandomValue(r, 2);
                    break;
                case JsonArray a:
                    a.Add(RandomValue(r, 2));
                    break;
            }
        }
        return root;
    }

    private static void Collect(JsonNode node, List<JsonNode> into)
    {
        into.Add(node);
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, v) in o) if (v is JsonObject or JsonArray) Collect(v, into);
                break;
            case JsonArray a:
                foreach (var v in a) if (v is JsonObject or JsonArray) Collect(v!, into);
                break;
        }
    }

    private static string RandomKey(Random r) => Pick(r, ["spec", "status", "metadata", "labels", "name", "$patch", "apiVersion", "kind", "x", "", "a/b", "ü", "items", "data"]);

    private static JsonNode? RandomValue(Random r, int depth) => r.Next(depth <= 0 ? 7 : 10) switch
    {
        0 => null,
        1 => JsonValue.Create(r.Next(2) == 0),
        2 => JsonValue.Create(Pick(r, new long[] { 0, -1, 1, int.MaxValue, long.MaxValue, long.MinValue, 3 })),
        3 => JsonValue.Create(Pick(r, new[] { 1.5, -0.0, 1e300, double.Epsilon })),
        4 => JsonValue.Create(RandomString(r, r.Next(0, 40))),
        5 => JsonValue.Create(Pick(r, ["", "25%", "100m", "1Gi", "-1", "abc%", "2024-01-01T00:00:00Z", "not-a-date", "Always", "ClusterIP", new string('z', 70)])),
        6 => JsonValue.Create(Pick(r, QueryValues)),
        7 => new JsonArray(Enumerable.Range(0, r.Next(0, 4)).Select(_ => RandomValue(r, depth - 1)).ToArray()),
        _ => new JsonObject(Enumerable.Range(0, r.Next(0, 4)).Select(i => KeyValuePair.Create(RandomKey(r) + i, RandomValue(r, depth - 1)))),
    };

    private static string RandomString(Random r, int length)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < length; i++)
        {
            sb.Append(r.Next(10) switch
            {
                0 => (char)r.Next(0, 32),
                1 => (char)r.Next(0x80, 0x800),
                2 => "\u2028",
                3 => "🙂",
                _ => (char)r.Next(32, 127),
            });
        }
        return sb.ToString();
    }

    private static byte[] RandomBytes(Random r, int length)
    {
        var b = new byte[length];
        r.NextBytes(b);
        return b;
    }

    private static byte[] CorruptBytes(Random r, byte[] bytes)
    {
        if (bytes.Length == 0) return bytes;
        var copy = (byte[])bytes.Clone();
        var n = r.Next(1, 6);
        for (var i = 0; i < n; i++) copy[r.Next(copy.Length)] = (byte)r.Next(256);
        return copy;
    }
}
