namespace CustomScheduler;

/// <summary>The plugin's arguments, read from <c>pluginConfig[].args</c> of scheduler-config.yaml.</summary>
internal sealed record PreferredNodesArgs
{
    public const string DefaultLabel = "example.com/preferred";

    /// <summary>The node label that marks preferred nodes (value "true"). Default "example.com/preferred".</summary>
    public string Label { get; init; } = DefaultLabel;
}
