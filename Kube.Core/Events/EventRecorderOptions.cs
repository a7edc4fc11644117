namespace Kube.Core.Events;

/// <summary>Settings of an <see cref="EventRecorder"/>.</summary>
public sealed record EventRecorderOptions
{
    /// <summary>The controller name written to <c>reportingController</c>, e.g. "kube-sdk.io/deployment-controller"; required.</summary>
    public required string ReportingController { get; init; }

    /// <summary>This process's instance name, written to <c>reportingInstance</c>; default the machine name.</summary>
    public string ReportingInstance { get; init; } = Environment.MachineName;

    /// <summary>Events waiting to be written. When full, new events are dropped (and logged); default 1000.</summary>
    public int QueueLength { get; init; } = 1000;

    /// <summary>A repeat of an event within this window updates its series instead of creating a new event; default 6 minutes (client-go's).</summary>
    public TimeSpan SeriesWindow { get; init; } = TimeSpan.FromMinutes(6);

    /// <summary>How many distinct recent events are remembered for series; default 4096. Beyond it the oldest are forgotten.</summary>
    public int MaxTrackedSeries { get; init; } = 4096;
}
