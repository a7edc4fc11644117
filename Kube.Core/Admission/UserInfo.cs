namespace Kube.Core.Admission;

/// <summary>An authenticated identity: the user name, its groups and extra attributes, as upstream's user.Info.</summary>
public sealed record UserInfo(string Name, IReadOnlyList<string> Groups)
{
    public string? Uid { get; init; }
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Extra { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>The cluster administrator (group system:masters).</summary>
    public static UserInfo Admin { get; } = new("system:admin", ["system:masters", "system:authenticated"]);

    public static UserInfo Anonymous { get; } = new("system:anonymous", ["system:unauthenticated"]);
}
