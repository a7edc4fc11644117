namespace Kube.Controllers.BuiltIn.Job;

/// <summary>Upstream's batch/v1 names: condition types, reasons, labels, annotations and the tracking finalizer.</summary>
internal static class JobConstants
{
    public const string TrackingFinalizer = "batch.kubernetes.io/job-tracking";
    public const string CompletionIndexAnnotation = "batch.kubernetes.io/job-completion-index";
    public const string CompletionIndexLabel = "batch.kubernetes.io/job-completion-index";
    public const string CompletionIndexEnv = "JOB_COMPLETION_INDEX";
    public const string ControllerUidLabel = "batch.kubernetes.io/controller-uid";
    public const string JobNameLabel = "batch.kubernetes.io/job-name";
    public const string LegacyControllerUidLabel = "controller-uid";
    public const string LegacyJobNameLabel = "job-name";

    public const string Complete = "Complete";
    public const string Failed = "Failed";
    public const string Suspended = "Suspended";
    public const string FailureTarget = "FailureTarget";
    public const string SuccessCriteriaMet = "SuccessCriteriaMet";

    public const string ReasonCompletionsReached = "CompletionsReached";
    public const string ReasonBackoffLimitExceeded = "BackoffLimitExceeded";
    public const string ReasonDeadlineExceeded = "DeadlineExceeded";
    public const string ReasonPodFailurePolicy = "PodFailurePolicy";
    public const string ReasonSuccessPolicy = "SuccessPolicy";
    public const string ReasonJobSuspended = "JobSuspended";
    public const string ReasonJobResumed = "JobResumed";

    public const string MessageCompletionsReached = "Reached expected number of succeeded pods";
    public const string MessageBackoffLimitExceeded = "Job has reached the specified backoff limit";
    public const string MessageDeadlineExceeded = "Job was active longer than specified deadline";

    public const string Indexed = "Indexed";
}
