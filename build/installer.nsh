; Included by electron-builder's NSIS scripts (electron-builder.yml: nsis.include).
;
; Uninstalling keeps the user's data unless the user asks to remove it:
;   - %APPDATA%\PRA Integration Client: settings.db (sites, stored sessions, outbox), logs\,
;     desktop-settings.json, Chromium's profile;
;   - the client secrets and API keys in Windows Credential Manager (service "PRA Integration Client").
; An upgrade runs the old uninstaller with --updated: then nothing is asked and nothing is removed,
; so settings and secrets carry over. A silent uninstall (/S) keeps everything too; electron-builder's
; own switch "/S --delete-app-data" removes the folder (not the secrets).

!macro customUnInstall
  ${ifNot} ${isUpdated}
  ${AndIfNot} ${Silent}
    ; The data is per user: look in the profile of the user running the uninstaller, not in All Users.
    SetShellVarContext current
    MessageBox MB_YESNO|MB_ICONQUESTION|MB_DEFBUTTON2 "Also remove your PRA Integration Client data?$\r$\n$\r$\nYes removes the sites, the stored sessions, the Elasticsearch settings and the logs in$\r$\n$APPDATA\${APP_FILENAME}$\r$\nand the client secrets and API keys saved in Windows Credential Manager.$\r$\n$\r$\nNo keeps them: installing the app again picks up where it stopped." /SD IDNO IDNO praIcKeepData
      ; The app knows which Credential Manager entries belong to this data folder: let it remove them
      ; while it is still installed, then remove the folder.
      DetailPrint "Removing the saved secrets from Windows Credential Manager"
      ExecWait '"$INSTDIR\${APP_EXECUTABLE_FILENAME}" --forget-secrets'
      DetailPrint "Removing $APPDATA\${APP_FILENAME}"
      RMDir /r "$APPDATA\${APP_FILENAME}"
    praIcKeepData:
    ${if} $installMode == "all"
      SetShellVarContext all
    ${endIf}
  ${endIf}
!macroend
