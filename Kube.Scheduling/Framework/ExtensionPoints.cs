namespace Kube.Scheduling.Framework;

/// <summary>The extension point names of KubeSchedulerConfiguration's <c>profiles[].plugins</c>.</summary>
public static class ExtensionPoints
{
    public const string PreEnqueue = "preEnqueue";
    public const string QueueSort = "queueSort";
    public const string PreFilter = "preFilter";
    public const string Filter = "filter";
    public const string PostFilter = "postFilter";
    public const string PreScore = "preScore";
    public const string Score = "score";
    public const string Reserve = "reserve";
    public const string Permit = "permit";
    public const string PreBind = "preBind";
    public const string Bind = "bind";
    public const string PostBind = "postBind";
    public const string MultiPoint = "multiPoint";

    /// <summary>Every extension point name except multiPoint.</summary>
    public static IReadOnlyList<string> All { get; } = [PreEnqueue, QueueSort, PreFilter, Filter, PostFilter, PreScore, Score, Reserve, Permit, PreBind, Bind, PostBind];

    /// <summary>Whether <paramref name="plugin"/> implements the interface of extension point <paramref name="point"/>.</summary>
    public static bool Implements(IPlugin plugin, string point) => point switch
    {
        PreEnqueue => plugin is IPreEnqueuePlugin,
        QueueSort => plugin is IQueueSortPlugin,
        PreFilter => plugin is IPreFilterPlugin,
        Filter => plugin is IFilterPlugin,
        PostFilter => plugin is IPostFilterPlugin,
        PreScore => plugin is IPreScorePlugin,
        Score => plugin is IScorePlugin,
        Reserve => plugin is IReservePlugin,
        Permit => plugin is IPermitPlugin,
        PreBind => plugin is IPreBindPlugin,
        Bind => plugin is IBindPlugin,
        PostBind => plugin is IPostBindPlugin,
        _ => false,
    };
}
