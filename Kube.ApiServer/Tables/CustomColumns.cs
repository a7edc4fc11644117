using System.Collections.Concurrent;

namespace Kube.ApiServer.Tables;

/// <summary>A custom resource's additionalPrinterColumns, kept per (group, version, plural) for Table output.</summary>
internal sealed class CustomColumns
{
    public sealed record Column(string Name, string Type, string JsonPath, int Priority, string Description);

    private readonly ConcurrentDictionary<(string Group, string Version, string Plural), IReadOnlyList<Column>> _columns = new();

    public void Set(string group, string version, string plural, IReadOnlyList<Column>? columns)
    {
        if (columns is null || columns.Count == 0) _columns.TryRemove((group, version, plural), out _);
        else _columns[(group, version, plural)] = columns;
    }

    public IReadOnlyList<Column>? Get(string group, string version, string plural) =>
        _columns.TryGetValue((group, version, plural), out var c) ? c : null;
}
