using Microsoft.Extensions.Options;

namespace WaitingRoom.Configuration;

/// <summary>
/// The options' validation in the framework's pipeline: the verdict of <see cref="WaitingRoomOptionsReader"/>,
/// which checks every value as it reads it. Its failures are the error lines, one per bad value.
/// </summary>
internal sealed class WaitingRoomOptionsValidator(IReadOnlyList<string> errors) : IValidateOptions<WaitingRoomOptions>
{
    public ValidateOptionsResult Validate(string? name, WaitingRoomOptions options) =>
        errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
}
