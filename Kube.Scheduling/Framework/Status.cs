namespace Kube.Scheduling.Framework;

/// <summary>The result of a plugin: a code, the reasons (shown to users in the FailedScheduling message) and the plugin's name.</summary>
public sealed class Status
{
    private static readonly Status SuccessInstance = new(StatusCode.Success, []);

    public Status(StatusCode code, IReadOnlyList<string> reasons, string? plugin = null, Exception? error = null)
    {
        ArgumentNullException.ThrowIfNull(reasons);
        Code = code;
        Reasons = reasons;
        Plugin = plugin;
        Error = error;
    }

    public StatusCode Code { get; }

    public IReadOnlyList<string> Reasons { get; }

    /// <summary>The plugin that returned the status (set by the framework when it is not set).</summary>
    public string? Plugin { get; }

    public Exception? Error { get; }

    public bool IsSuccess => Code == StatusCode.Success;

    public bool IsSkip => Code == StatusCode.Skip;

    /// <summary>Unschedulable or UnschedulableAndUnresolvable.</summary>
    public bool IsRejected => Code is StatusCode.Unschedulable or StatusCode.UnschedulableAndUnresolvable;

    /// <summary>The reasons joined with ", ".</summary>
    public string Message => string.Join(", ", Reasons);

    public static Status Success => SuccessInstance;

    public static Status Skip { get; } = new(StatusCode.Skip, []);

    public static Status Unschedulable(params string[] reasons) => new(StatusCode.Unschedulable, reasons);

    public static Status UnschedulableAndUnresolvable(params string[] reasons) => new(StatusCode.UnschedulableAndUnresolvable, reasons);

    /// <summary>A Permit plugin holds the pod.</summary>
    public static Status Wait { get; } = new(StatusCode.Wait, []);

    public static Status FromException(Exception error) => new(StatusCode.Error, [error.Message], error: error);

    /// <summary>This status with <paramref name="plugin"/> as its plugin, unless it names one already.</summary>
    public Status WithPlugin(string plugin) => Plugin is not null || IsSuccess ? this : new Status(Code, Reasons, plugin, Error);

    public override string ToString() => Reasons.Count == 0 ? Code.ToString() : $"{Code}: {Message}";
}
