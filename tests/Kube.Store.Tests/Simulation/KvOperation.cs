namespace Kube.Store.Tests.Simulation;

/// <summary>One client operation in a history. Call/Return are global event stamps (a total order of what the simulator did).</summary>
internal sealed class KvOperation
{
    public required long Id { get; init; }

    public required int Client { get; init; }

    public required KvOpKind Kind { get; init; }

    public required string Key { get; init; }

    public string? Arg1 { get; init; }

    public string? Arg2 { get; init; }

    public long Call { get; set; }

    /// <summary>long.MaxValue while pending or when the outcome is unknown (timed out).</summary>
    public long Return { get; set; } = long.MaxValue;

    /// <summary>Get: (value, version); Put: previous value; Delete: whether a key was deleted; Cas: whether it succeeded.</summary>
    public KvResult? Result { get; set; }

    public bool Unknown => Result is null;

    public override string ToString() =>
        $"#{Id} c{Client} {Kind}({Key}{(Arg1 is null && Kind != KvOpKind.Cas ? "" : $", {Arg1 ?? "<absent>"}")}{(Arg2 is null ? "" : $", {Arg2}")}) [{Call}, {(Return == long.MaxValue ? "∞" : Return)}] -> {(Result is null ? "unknown" : Result)}";
}
