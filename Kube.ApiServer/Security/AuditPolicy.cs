using YamlDotNet.RepresentationModel;

namespace Kube.ApiServer.Security;

/// <summary>
/// Upstream's audit <c>Policy</c> (audit.k8s.io/v1, YAML or JSON; <c>--audit-policy-file</c>): ordered rules, the first
/// that matches a request gives its level (None, Metadata, Request, RequestResponse); a request no rule matches is not
/// audited. Rules match on users, userGroups, verbs, resources (group, resources incl. <c>pods/log</c>, <c>*/status</c>
/// and <c>*</c>, resourceNames), namespaces and nonResourceURLs (a trailing <c>*</c> is a prefix); omitStages apply from
/// the policy and the matching rule.
/// </summary>
public sealed class AuditPolicy
{
    private readonly IReadOnlyList<Rule> _rules;
    private readonly IReadOnlySet<string> _omitStages;

    private AuditPolicy(IReadOnlyList<Rule> rules, IReadOnlySet<string> omitStages)
    {
        _rules = rules;
        _omitStages = omitStages;
    }

    /// <summary>A policy that logs every request at <paramref name="level"/>.</summary>
    public static AuditPolicy Everything(AuditLevel level) =>
        new([new Rule(level, [], [], [], [], [], [], [])], new HashSet<string>(StringComparer.Ordinal));

    public static AuditPolicy Load(string path) => Parse(File.ReadAllText(path));

    /// <summary>Parses a policy; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static AuditPolicy Parse(string text)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(text));
        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root) throw new FormatException("audit policy: empty document");
        if (Str(root, "kind") != "Policy") throw new FormatException("audit policy: kind must be Policy");
        if (Str(root, "apiVersion") is not ("audit.k8s.io/v1" or "audit.k8s.io/v1beta1"))
            throw new FormatException("audit policy: apiVersion must be audit.k8s.io/v1");
        var rules = new List<Rule>();
        var index = 0;
        foreach (var r in Seq(root, "rules"))
        {
            if (r is not YamlMappingNode m) throw new FormatException($"audit policy: rules[{index}] must be a mapping");
            var levelText = Str(m, "level") ?? throw new FormatException($"audit policy: rules[{index}].level: Required value");
            if (!Enum.TryParse<AuditLevel>(levelText, ignoreCase: false, out var level) || !Enum.IsDefined(level))
                throw new FormatException($"audit policy: rules[{index}].level: Unsupported value: \"{levelText}\": supported values: \"None\", \"Metadata\", \"Request\", \"RequestResponse\"");
            var resources = Seq(m, "resources").OfType<YamlMappingNode>()
                .Select(g => new GroupResources(Str(g, "group") ?? "", Strings(g, "resources"), Strings(g, "resourceNames"))).ToList();
            rules.Add(new Rule(level, Strings(m, "users"), Strings(m, "userGroups"), Strings(m, "verbs"), resources, Strings(m, "namespaces"),
                Strings(m, "nonResourceURLs"), Strings(m, "omitStages")));
            index++;
        }
        return new AuditPolicy(rules, Strings(root, "omitStages").ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>The level of a request and the stages not to log for it.</summary>
    internal (AuditLevel Level, IReadOnlySet<string> OmitStages) Evaluate(AuditAttributes a)
    {
        foreach (var rule in _rules)
        {
            if (!rule.Matches(a)) continue;
            var omit = new HashSet<string>(_omitStages, StringComparer.Ordinal);
            omit.UnionWith(rule.OmitStages);
            return (rule.Level, omit);
        }
        return (AuditLevel.None, _omitStages);
    }

    private static string? Str(YamlMappingNode m, string key) =>
        m.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode s ? s.Value : null;

    private static IEnumerable<YamlNode> Seq(YamlMappingNode m, string key) =>
        m.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlSequenceNode s ? s.Children : [];

    private static List<string> Strings(YamlMappingNode m, string key) => Seq(m, key).OfType<YamlScalarNode>().Select(s => s.Value ?? "").ToList();

    private sealed record GroupResources(string Group, IReadOnlyList<string> Resources, IReadOnlyList<string> ResourceNames)
    {
        public bool Matches(AuditAttributes a)
        {
            if (a.Resource is null || a.ApiGroup != Group) return false;
            var full = a.Subresource is null ? a.Resource : $"{a.Resource}/{a.Subresource}";
            var resourceOk = Resources.Count == 0 || Resources.Any(r =>
                r == "*" || r == full
                || (r.StartsWith("*/", StringComparison.Ordinal) && a.Subresource is not null && r[2..] == a.Subresource)
                || (r.EndsWith("/*", StringComparison.Ordinal) && a.Subresource is not null && r[..^2] == a.Resource));
            return resourceOk && (ResourceNames.Count == 0 || (a.Name is not null && ResourceNames.Contains(a.Name)));
        }
    }

    private sealed record Rule(AuditLevel Level, IReadOnlyList<string> Users, IReadOnlyList<string> UserGroups, IReadOnlyList<string> Verbs,
        IReadOnlyList<GroupResources> Resources, IReadOnlyList<string> Namespaces, IReadOnlyList<string> NonResourceUrls, IReadOnlyList<string> OmitStages)
    {
        public bool Matches(AuditAttributes a)
        {
            if (Users.Count > 0 && (a.User is null || !Users.Contains(a.User))) return false;
            if (UserGroups.Count > 0 && !a.Groups.Any(UserGroups.Contains)) return false;
            if (Verbs.Count > 0 && !Verbs.Contains(a.Verb)) return false;
            if (a.Resource is null)
            {
                // a non-resource request: rules about resources or namespaces do not apply
                if (Resources.Count > 0 || Namespaces.Count > 0) return false;
                return NonResourceUrls.Count == 0 || NonResourceUrls.Any(u => u.EndsWith('*') ? a.Path.StartsWith(u[..^1], StringComparison.Ordinal) : a.Path == u);
            }
            if (NonResourceUrls.Count > 0) return false;
            if (Namespaces.Count > 0 && !Namespaces.Contains(a.Namespace ?? "")) return false;
            return Resources.Count == 0 || Resources.Any(g => g.Matches(a));
        }
    }
}
