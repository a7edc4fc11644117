namespace Kube.Store.Tests.Simulation;

/// <summary>What an operation returned: a value (get: current, put: previous), a version (get) and a flag (delete: deleted, cas: succeeded).</summary>
internal sealed record KvResult(string? Value, long Version, bool Flag)
{
    public override string ToString() => $"({Value ?? "<none>"}, v{Version}, {Flag})";
}
