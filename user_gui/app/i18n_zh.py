"""Simplified Chinese (zh_CN) for the window: English source string -> translation.

Keys are exactly the English strings passed to ``tr``; placeholders (``{name}``) stay as they
are. ``tests/gui/test_i18n.py`` fails when a ``tr`` string in ``user_gui/app`` is missing here
or when a translation's placeholders differ from its key's. Terms: 虚拟摄像头 (virtual
camera), 录制 (record), 换脸 (face swap), 人脸 (face), 变声 (voice effects), 预览 (preview),
离线 (offline), 后端 (the backend service).
"""

# Chinese text is punctuated with full-width marks (commas, colons, brackets), on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

CATALOG: dict[str, str] = {
    # ---- the face panel, its face picker and the first-run steps ----
    "Face": "人脸",
    "checking the backend…": "正在检查后端服务…",
    "Choose face…": "选择人脸…",
    "Choose a face": "选择人脸",
    "Choose a photo of the face to wear": "选择一张要换上的人脸照片",
    "Swap your face for the chosen one in the picture sent out": "在输出画面中把你的脸换成所选人脸",
    "SWAP ON": "换脸：开启",
    "SWAP OFF": "换脸：关闭",
    "Engine": "引擎",
    "Blend": "融合方式",
    "seamless": "无缝融合",
    "feather": "边缘羽化",
    "Many faces": "替换多张人脸",
    "Swap every face in the picture; else the largest only": (
        "替换画面中的每一张人脸；不勾选时只替换最大的一张"
    ),
    "Mouth mask": "保留嘴部",
    "Keep your own mouth so speech stays real": "保留你自己的嘴部，说话时口型更真实",
    "no face": "无人脸",
    "no face loaded": "未加载人脸",
    "face {n} of {count}": "第 {n} 张，共 {count} 张",
    "{count} face(s) in frame": "画面中有 {count} 张人脸",
    "loading {name}…": "正在加载 {name}…",
    "{name} (unavailable)": "{name}（不可用）",
    "switching to the {name} engine…": "正在切换到 {name} 引擎…",
    "face status unavailable: {error}": "无法读取换脸状态：{error}",
    "swap on": "换脸已开启",
    "swap off": "换脸已关闭",
    "{engine} on {provider}": "{engine}（运行于 {provider}）",
    "error: {error}": "错误：{error}",
    "no face chosen: the previous face stays": "未选择人脸：继续使用之前的人脸",
    "{count} faces in {name}: click the one to wear": (
        "{name} 中有 {count} 张人脸：点击要换上的那一张"
    ),
    "Face {n}": "人脸 {n}",
    "Close": "关闭",
    "Hide the faces; the face loaded stays": "收起人脸列表；已加载的人脸保持不变",
    "Camera": "摄像头",
    "Swap": "换脸",
    "Output": "输出",
    "Next: start the camera.": "下一步：启动摄像头。",
    "Next: choose a photo of the face to wear.": "下一步：选择一张要换上的人脸照片。",
    "Next: turn the swap on.": "下一步：开启换脸。",
    "Next: send the picture to the virtual camera or record it.": (
        "下一步：把画面输出到虚拟摄像头，或开始录制。"
    ),
    # ---- the main window ----
    "no preview: start the camera": "无预览：请先启动摄像头",
    "Studio": "直播工作台",
    "&Studio": "工作台(&S)",
    "Services and log": "服务与日志",
    "Services": "服务",
    "checking the backend...": "正在检查后端服务…",
    "A camera, a video or picture file in the media folder, or a URL": (
        "摄像头、媒体文件夹中的视频或图片文件，或一个网址"
    ),
    "File…": "文件…",
    "Play a video or picture file as the camera": "把视频或图片文件当作摄像头播放",
    "Play a file as the camera": "把文件当作摄像头播放",
    "Start": "启动",
    "Stop": "停止",
    "Open alerts": "未处理的告警",
    "Acknowledge": "确认",
    "&Help": "帮助(&H)",
    "Keyboard shortcuts": "键盘快捷键",
    "Language": "语言",
    "AR backend": "AR 后端",
    "Monitor": "监控服务",
    "Local server": "本地服务",
    "backend {state}": "后端{state}",
    "healthy": "正常",
    "unhealthy": "异常",
    "offline": "离线",
    "unknown": "未知",
    "backend offline": "后端离线",
    "demo (built-in test picture)": "演示（内置测试画面）",
    "auto (the first camera that opens)": "自动（第一个能打开的摄像头）",
    "Uploading {name}…": "正在上传 {name}…",
    "Camera did not start: {error}": "摄像头未能启动：{error}",
    "camera status unavailable: {error}": "无法读取摄像头状态：{error}",
    "File not used: {error}": "文件未能使用：{error}",
    "Step 1 of 4: choose a camera (or a file) and press Start": (
        "第 1 步（共 4 步）：选择摄像头（或文件），然后点击“启动”"
    ),
    "Step 2 of 4: choose a photo of the face to wear (Face panel)": (
        "第 2 步（共 4 步）：选择一张要换上的人脸照片（在“人脸”面板中）"
    ),
    "Step 3 of 4: turn the swap on (SWAP, or F5)": (
        "第 3 步（共 4 步）：开启换脸（点击换脸开关，或按 F5）"
    ),
    "Swap on/off": "换脸 开/关",
    "Voice on/off": "变声 开/关",
    "Record on/off": "录制 开/关",
    "Virtual camera on/off": "虚拟摄像头 开/关",
    "The language changes the next time the window opens.": "界面语言将在下次打开窗口时生效。",
    "no new frame": "没有新画面",
    "Offline — {why}, last frame {seconds} s ago": "离线 — {why}，最后一帧在 {seconds} 秒前",
    "alerts unavailable: {error}": "无法读取告警：{error}",
    "frame": "帧",
    # (the preview's own rate as it arrives: the governor may send it fewer frames than go out)
    "preview {fps} fps": "预览 {fps} fps",
    # ---- the output panel ----
    "Virtual camera": "虚拟摄像头",
    "Virtual camera: on": "虚拟摄像头：已开启",
    "Send the output to a virtual camera OBS, Zoom or a browser can use": (
        "把输出画面发送到虚拟摄像头，供 OBS、Zoom 或浏览器使用"
    ),
    "Sending to {device}": "正在输出到 {device}",
    "Sending": "正在输出",
    "Record": "录制",
    "Recording": "录制",
    "Stop recording": "停止录制",
    "Saved {file}": "已保存 {file}",
    "Snapshot": "截图",
    "Save the current output frame as a JPEG picture": "把当前输出画面保存为 JPEG 图片",
    "Snapshot saved: {path}": "截图已保存：{path}",
    "Copy": "复制",
    "Open folder": "打开文件夹",
    # ---- the voice panel ----
    "Voice": "变声",
    "voice: {state}": "变声：{state}",
    "voice: unknown": "变声：未知",
    "Microphone": "麦克风",
    "Microphone level (dBFS)": "麦克风电平（dBFS）",
    "level": "电平",
    "Start voice": "开启变声",
    "Stop voice": "关闭变声",
    "Add / change effect": "添加 / 修改效果",
    "Remove": "移除",
    "Move the effect earlier in the chain": "在效果链中前移",
    "Move the effect later in the chain": "在效果链中后移",
    "effects: none": "效果：无",
    "effects: {chain}": "效果：{chain}",
    "none": "无",
    "Effects need an audio device: {reason}": "音效需要音频设备：{reason}",
    "effect not applied": "效果未应用",
    "effect not removed": "效果未移除",
    "effects not reordered": "效果顺序未调整",
    "voice did not start: {error}": "变声未能启动：{error}",
    "voice did not stop": "变声未能停止",
    "voice status unavailable: {error}": "无法读取变声状态：{error}",
    # ---- the Files tab (whole videos and pictures swapped in a queue) ----
    "Files": "文件",
    "Add files…": "添加文件…",
    "Add videos or pictures": "添加视频或图片",
    "Swap the face in whole videos or pictures": "为整段视频或整张图片换脸",
    "or drop video and picture files here": "或把视频、图片文件拖放到这里",
    "Videos and pictures ({patterns})": "视频和图片（{patterns}）",
    "Videos ({patterns})": "视频（{patterns}）",
    "Pictures ({patterns})": "图片（{patterns}）",
    "Face for these jobs": "这些任务使用的人脸",
    "The face for these jobs": "这些任务使用的人脸",
    "The loaded face": "已加载的人脸",
    "The face the studio has loaded when the job is added": "添加任务时工作台已加载的人脸",
    "A picture:": "一张图片：",
    "Choose picture…": "选择图片…",
    "none chosen": "未选择",
    "Face in the picture": "图片中的人脸",
    "the only one": "唯一的一张",
    "Which face of a group picture, counted from the left": "使用合影中的第几张人脸（从左数起）",
    "No jobs yet: add or drop video and picture files.": "还没有任务：请添加或拖入视频、图片文件。",
    "Not a video or picture: {names}": "不是视频或图片：{names}",
    "The backend is not reachable: nothing added": "无法连接后端服务：未添加任何文件",
    "The job list is unavailable: {error}": "无法读取任务列表：{error}",
    "Adding {name}…": "正在添加 {name}…",
    "{name} not added: {error}": "{name} 未能添加：{error}",
    "Downloading {name}…": "正在下载 {name}…",
    "{name} not downloaded: {error}": "{name} 未能下载：{error}",
    "{name} not cancelled": "{name} 未能取消",
    "{name} not retried": "{name} 未能重试",
    "{name} not removed": "{name} 未能移除",
    "Cancel": "取消",
    "Retry": "重试",
    "Open file": "打开文件",
    "Show the output file's folder": "打开输出文件所在的文件夹",
    "Open the output with the system's player or viewer": "用系统的播放器或看图程序打开输出文件",
    "Take the job off the list (its output file stays)": "从列表中移除该任务（输出文件会保留）",
    "queued": "排队中",
    "running": "处理中",
    "done": "已完成",
    "failed": "失败",
    "cancelled": "已取消",
    "interrupted": "已中断",
    "waiting": "等待中",
    "{done}/{total} frames": "{done}/{total} 帧",
    "{done} frames": "{done} 帧",
    "{time} left": "剩余 {time}",
    "{share}% of frames swapped": "{share}% 的帧已换脸",
    "{count} frame(s) blurred: a face there could not be swapped": (
        "{count} 帧已模糊：其中的人脸无法换脸"
    ),
    "→ {file}": "→ {file}",
    "{seconds} s": "{seconds} 秒",
    "{name}: done in {seconds} s": "{name}：已完成，用时 {seconds} 秒",
    "{name}: done in {minutes} min {seconds} s": "{name}：已完成，用时 {minutes} 分 {seconds} 秒",
    "{name}: done": "{name}：已完成",
    "{name} failed: {reason}": "{name} 处理失败：{reason}",
    "{name}: cancelled": "{name}：已取消",
    "{name}: interrupted": "{name}：已中断",
    "no reason given": "未说明原因",
    # ---- models (the Models dialog), the face enhancer, GPU warnings ----
    "Models": "模型",
    "Models…": "模型…",
    "The model files of the neural engines and the enhancer: state, licence, download": (
        "神经网络引擎和人脸增强所用的模型文件：状态、许可协议、下载"
    ),
    "The model files the neural engines and the face enhancer use. The backend downloads "
    "each one and checks its size and SHA-256 before it is used. Read each licence before "
    "downloading: some models are for non-commercial use only.": (
        "神经网络引擎和人脸增强所用的模型文件。后端下载每个文件，并在使用前核对其大小和 "
        "SHA-256。下载前请阅读各自的许可协议：部分模型仅限非商业用途。"
    ),
    "Models folder: {folder}": "模型文件夹：{folder}",
    "Reading the model list…": "正在读取模型列表…",
    "The manifest lists no models.": "模型清单中没有模型。",
    "The model list is unavailable: {error}": "无法读取模型列表：{error}",
    "{what} needs: {models}": "{what}需要：{models}",
    "Needed: {models}": "需要：{models}",
    "The {name} engine": "{name} 引擎",
    "The {name} enhancer": "{name} 增强",
    "present": "已就绪",
    "missing": "缺失",
    "corrupt": "已损坏",
    "unverified": "未校验",
    "downloading": "下载中",
    "{size} MB": "{size} MB",
    "Used by: {what}": "使用者：{what}",
    "Licence: {licence}": "许可协议：{licence}",
    "{path}: {state}, {size} MB": "{path}：{state}，{size} MB",
    "{percent}% · {done} of {total} MB": "{percent}% · {done} / {total} MB",
    "Download failed: {error}": "下载失败：{error}",
    "Download cancelled: what was downloaded is kept.": "下载已取消：已下载的部分会保留。",
    "Download": "下载",
    "Download again": "重新下载",
    "Download…": "下载…",
    "Downloads its files onto the backend's models folder; read its licence first": (
        "把它的文件下载到后端的模型文件夹；请先阅读它的许可协议"
    ),
    "Stop the download (what was downloaded is kept)": "停止下载（已下载的部分会保留）",
    "{name} not downloaded": "{name} 未下载",
    "{name} is unavailable: {reason}": "{name} 不可用：{reason}",
    "Open the Models dialog on this engine's model files": "打开模型对话框，查看此引擎的模型文件",
    "Open the Models dialog on this enhancer's model file": "打开模型对话框，查看此增强的模型文件",
    "Face enhancer": "人脸增强",
    "Enhancer": "人脸增强",
    "Off": "关闭",
    ", ": "，",
    "Strength": "强度",
    "Model": "模型",
    "How much of the enhanced face is kept": "保留多少增强后的人脸效果",
    "Restores detail in the swapped face; it costs time on every frame": (
        "恢复换脸后人脸的细节；每一帧都会多花时间"
    ),
    "Restore detail in the swapped faces (slower; its model file must be downloaded)": (
        "恢复换脸后人脸的细节（较慢；需要先下载它的模型文件）"
    ),
    "Enhancer: {ms} ms per frame on {provider}": "人脸增强：每帧 {ms} 毫秒（运行于 {provider}）",
    "Enhancer: cost per frame not measured yet (it is measured live)": (
        "人脸增强：每帧耗时尚未测得（在实时画面中测量）"
    ),
    "It costs more than the {budget} ms a frame may take live here: use it for file jobs": (
        "它的耗时超过本机实时画面每帧允许的 {budget} 毫秒：建议用于文件任务"
    ),
    "Use for file jobs": "用于文件任务",
    "Choose this enhancer for new jobs in the Files tab, where time is no limit": (
        "在“文件”标签页为新任务选择此增强，那里不受实时速度限制"
    ),
    "{name} cannot run: {reason}": "{name} 无法运行：{reason}",
    "unavailable": "不可用",
    # ---- the window, round 2 (issue 25) ----
    "Keyboard shortcuts…": "键盘快捷键…",
    "Action": "操作",
    "Key": "按键",
    "on": "开",
    "off": "关",
    # ---- voice presets and personas (issue 24) ----
    "Voice presets and personas": "声音预设与角色",
    "Clean": "清晰",
    "Deeper": "低沉",
    "Higher": "高亢",
    "Bright": "明亮",
    "Robot": "机器人",
    "Radio": "电台",
    "Noise suppression (RNNoise) and a low cut: your own voice, clearer": (
        "噪声抑制（RNNoise）加低切：还是你的声音，更清晰"
    ),
    "Lower pitch and a larger vocal tract: another, deeper person": (
        "更低的音高和更大的声道：另一个更低沉的人"
    ),
    "Higher pitch, formants a little up: another, higher person": (
        "更高的音高，共振峰略升：另一个声音更高的人"
    ),
    "The formants up, the pitch kept: a brighter, younger sound": (
        "共振峰上移、音高不变：更明亮、更年轻的声音"
    ),
    "A lower ring-modulated voice": "更低的环形调制声音",
    "A telephone or radio band": "电话或电台的频带",
    "Formant": "共振峰",
    "Move the formants alone: left deeper (a larger vocal tract), right brighter": (
        "只移动共振峰：向左更低沉（更大的声道），向右更明亮"
    ),
    "A/V offset: —": "音画偏移：—",
    "The delay the live voice gets so lips and voice match (audio.av_sync)": (
        "直播声音的延迟，使口型与声音对齐（audio.av_sync）"
    ),
    "A/V offset: {ms} ms ({mode})": "音画偏移：{ms} 毫秒（{mode}）",
    "No output device: {reason}": "没有输出设备：{reason}",
    "Save as persona…": "另存为角色…",
    "Save the loaded face, the voice chain and a label under a name": (
        "把已加载的人脸、声音效果链和标签保存在一个名字下"
    ),
    "Persona {n}": "角色 {n}",
    "voice: {preset}": "声音：{preset}",
    "preset not applied": "预设未应用",
    "formant not applied": "共振峰未应用",
    "personas": "角色",
    "{label}; voice: {effects}": "{label}；声音：{effects}",
    "No personas yet: load a face, set a voice, Save as persona…": (
        "还没有角色：加载人脸、设置声音，然后“另存为角色…”"
    ),
    "applying {name}…": "正在应用 {name}…",
    "persona: {name}": "角色：{name}",
    "Save as persona": "另存为角色",
    "Name": "名称",
    "Label on the video (may be empty)": "视频上的标签（可以为空）",
    "saved {name}": "已保存 {name}",
    "persona not saved": "角色未保存",
    "Delete {name}": "删除 {name}",
    "persona not deleted": "角色未删除",
    # ---- the background panel (issue 23 item 5) ----
    "Background": "背景",
    "Behind you": "身后",
    "What is behind you in the picture sent out; your face is never changed by it": (
        "输出画面中你身后的内容；它从不改变你的脸"
    ),
    "Blur": "虚化",
    "Colour": "颜色",
    "Picture": "图片",
    "How strongly the background is blurred": "背景虚化的强度",
    "Choose the background's colour": "选择背景颜色",
    "Green screen": "绿幕",
    "A chroma-key green OBS can cut out": "OBS 可以抠除的色键绿色",
    "A picture from the media folder": "媒体文件夹中的图片",
    "Add picture…": "添加图片…",
    "Copy a picture into the media folder and use it": "把一张图片复制到媒体文件夹并使用它",
    "background unavailable: {error}": "背景不可用：{error}",
    "Cannot run here: {reason}": "无法在此运行：{reason}",
    "Background: {error}": "背景：{error}",
    "Background: {ms} ms per frame": "背景：每帧 {ms} 毫秒",
    "Not changed: {reason}": "未更改：{reason}",
    "No picture in the media folder yet: add one": "媒体文件夹中还没有图片：请添加一张",
    "The media list was not read: {reason}": "未能读取媒体列表：{reason}",
    "As in the studio": "与工作室相同",
    "Left as it is": "保持原样",
    "The studio's background (blurred, a colour, a picture) in every frame, or none": (
        "每一帧使用工作室的背景（虚化、纯色、图片），或不处理"
    ),
    "firing": "告警中",
    "acknowledged": "已确认",
    "resolved": "已解决",
    "Copied": "已复制",
    "Copy the command, then paste it in a terminal": "复制这条命令，然后粘贴到终端中运行",
    "No program here opens folders: the file is in {folder}": (
        "这台电脑上没有能打开文件夹的程序：文件在 {folder}"
    ),
    "No program here opens {name}: it is in {folder}": (
        "这台电脑上没有能打开 {name} 的程序：它在 {folder}"
    ),
    "The virtual camera did not start.": "虚拟摄像头未能启动。",
    "1 face in frame": "画面中有 1 张人脸",
    "no face in frame": "画面中没有人脸",
    "{count} faces in frame": "画面中有 {count} 张人脸",
    "{name} was not turned on: {reason}": "{name} 未能开启：{reason}",
    "No test tone: {error}": "无法播放测试音：{error}",
    "Play a short tone on the output to hear that it works": (
        "在输出设备上播放一段短音，听听声音是否正常"
    ),
    "Playing a test tone on {device}…": "正在 {device} 上播放测试音…",
    "Test tone": "测试音",
    (
        "The camera {device} is there, but you may not use it yet. Run this command "
        "once, then log out and back in."
    ): "摄像头 {device} 存在，但你现在还不能使用它。请运行一次下面的命令，然后注销并重新登录。",
    "Details": "详细信息",
    "Face enhancer: GFPGAN 1.4": "人脸增强：GFPGAN 1.4",
    "Face enhancer: GPEN-BFR 256": "人脸增强：GPEN-BFR 256",
    "Face enhancer: GPEN-BFR 512": "人脸增强：GPEN-BFR 512",
    "Face finder and recogniser": "人脸检测与识别",
    "Face swapper: HyperSwap": "换脸模型：HyperSwap",
    "Face swapper: inswapper": "换脸模型：inswapper",
    "Face swapper: inswapper, half size": "换脸模型：inswapper（半精度，体积减半）",
    "Face tracker (MediaPipe)": "人脸跟踪（MediaPipe）",
    "Finds faces quickly and follows them from frame to frame.": (
        "快速找到人脸，并在每一帧之间跟踪它们。"
    ),
    "Finds hands, so a hand in front of the face stays in front.": (
        "找到手部，让挡在脸前的手保持在前面。"
    ),
    "Finds the faces in the picture and tells people apart; the neural engines need it.": (
        "找到画面中的人脸并区分不同的人；神经网络引擎需要它。"
    ),
    "Free to use, commercial use included ({licence}).": (
        "可以免费使用，包括商业用途（{licence}）。"
    ),
    "Hand finder (MediaPipe)": "手部检测（MediaPipe）",
    "Its files, the config keys that use it, the licence": "它的文件、使用它的配置项和许可协议",
    "Name: {name}": "名称：{name}",
    "Non-commercial use only: not for streams or videos that earn money.": (
        "仅限非商业用途：不能用于赚钱的直播或视频。"
    ),
    "Person outline (MediaPipe)": "人像轮廓（MediaPipe）",
    "Puts the face you chose on yours, live (the inswapper engine).": (
        "把你选的人脸实时换到你的脸上（inswapper 引擎）。"
    ),
    "Puts the face you chose on yours, sharper than inswapper (the hyperswap engine).": (
        "把你选的人脸换到你的脸上，比 inswapper 更清晰（hyperswap 引擎）。"
    ),
    "Read its licence under Details before you use it.": "使用前请在“详细信息”中阅读它的许可协议。",
    "Restores detail in the swapped face, at a higher resolution.": (
        "以更高的分辨率恢复换脸后人脸的细节。"
    ),
    "Restores detail in the swapped face: eyes, skin and teeth look sharper.": (
        "恢复换脸后人脸的细节：眼睛、皮肤和牙齿更清晰。"
    ),
    "Restores detail in the swapped face; lighter and faster than GFPGAN.": (
        "恢复换脸后人脸的细节；比 GFPGAN 更轻、更快。"
    ),
    "Tells you apart from the background.": "把你和背景区分开。",
    "The same face swapper at half the size; used when the full one is not there.": (
        "同一个换脸模型，体积减半；在没有完整版时使用。"
    ),
    "(default)": "（默认）",
    "The video's own sound": "视频自带的声音",
    "when the camera plays a video with sound": "摄像头播放带声音的视频时可用",
    "attack (ms)": "起音（毫秒）",
    "cutoff (Hz)": "截止频率（赫兹）",
    "delay (ms)": "延迟（毫秒）",
    "denoise": "降噪",
    "echo": "回声",
    "feedback": "反馈",
    "formant": "共振峰",
    "frequency (Hz)": "频率（赫兹）",
    "gain": "增益",
    "gain (dB)": "增益（分贝）",
    "gate": "噪声门",
    "high-pass": "高通",
    "keep the formants": "保留共振峰",
    "low-pass": "低通",
    "mix": "混合比例",
    "pitch": "变调",
    "release (ms)": "释放（毫秒）",
    "reverb": "混响",
    "robot": "机器人",
    "room size": "房间大小",
    "semitones": "半音",
    "strength": "强度",
    "threshold (dB)": "阈值（分贝）",
    "Runs the studio's launcher here, as start_all.sh does": (
        "在本机运行工作室的启动程序，与 start_all.sh 相同"
    ),
    "Start the backend": "启动后端",
    "Starting…": "正在启动…",
    "The backend at {url} does not answer: start it on that computer.": (
        "{url} 上的后端没有响应：请在那台电脑上启动它。"
    ),
    "The backend did not start. Its launcher said:": "后端未能启动。启动程序的输出：",
    "The studio's backend is not running. Start it with this command:": (
        "工作室的后端没有运行。用下面的命令启动它："
    ),
    "exit status {code}": "退出码 {code}",
    "voice did not start": "变声未能启动",
    (
        "The sound library (PortAudio) is not installed. Install it with this command, "
        "then start the voice again."
    ): "没有安装声音库（PortAudio）。请用下面的命令安装，然后再启动变声。",
    (
        "The sound server ({server}) is running, but the studio cannot reach it. Install "
        "its plugin with this command, then start the voice again."
    ): (
        "声音服务（{server}）正在运行，但本程序连不上它。"
        "请用下面的命令安装它的插件，然后再启动变声。"
    ),
    (
        "This computer has no sound card and no sound server. Install PipeWire with this "
        "command, then start the voice again."
    ): "这台电脑没有声卡，也没有声音服务。请用下面的命令安装 PipeWire，然后再启动变声。",
    (
        "This computer has no sound card, and its sound server ({server}) is not running. "
        "Start it with this command, then start the voice again."
    ): (
        "这台电脑没有声卡，它的声音服务（{server}）"
        "也没有运行。请用下面的命令启动它，然后再启动变声。"
    ),
    (
        "There is no virtual camera on this computer yet. Run this command once in a "
        "terminal (it asks for your password), then turn the virtual camera on again."
    ): (
        "这台电脑上还没有虚拟摄像头。请在终端中运行一次下面的命令（会要求输入密码），"
        "然后再打开虚拟摄像头。"
    ),
    (
        "There is no virtual camera on this computer yet: start OBS Studio's virtual "
        "camera once, then turn it on here again."
    ): ("这台电脑上还没有虚拟摄像头：请先在 OBS Studio 中启动一次虚拟摄像头，然后在这里再打开。"),
}


# The services' messages by key (shared/messages.py), with the same {named} parameters: the
# window shows a backend's or the monitor's text in Chinese from its ``X_key`` and ``X_args``
# (``i18n.message``). tests/gui/test_i18n.py fails when a key of shared/messages.py is missing
# here: whoever adds a key there adds its Chinese here.
MESSAGES: dict[str, str] = {
    "text": "{text}",
    # ---- the JSON error envelope ----
    "error.field": "{field}：{detail}",
    "error.not_found": "没有这个资源：{path}",
    "error.body_too_large": "请求内容超过 {limit} 字节",
    "error.http": "{detail}",
    "error.internal": "服务未能回答这个请求；请查看它的日志",
    "error.api_key_missing": "此接口需要 API 密钥（X-API-Key 或 Authorization: Bearer）",
    "error.api_key_wrong": "此接口需要有效的 API 密钥（X-API-Key 或 Authorization: Bearer）",
    "error.upload_too_large": "文件超过 {key} 的上限（{limit_mb:g} MB）",
    # ---- pictures and videos over the size limit ----
    "picture.too_many_pixels": (
        "图片为 {width}x{height} 像素（{megapixels:.1f} 百万像素）；最多接受 "
        "{limit_megapixels:g} 百万像素（{key}）"
    ),
    "picture.too_many_pixels_unknown": (
        "图片声称超过 {limit_megapixels:g} 百万像素；"
        "最多接受 {limit_megapixels:g} 百万像素（{key}）"
    ),
    "picture.unreadable": "{name} 不是能读出尺寸的图片（{detail}）",
    "video.too_many_pixels": (
        "视频画面为 {width}x{height} 像素（{megapixels:.1f} 百万像素）；最多接受 "
        "{limit_megapixels:g} 百万像素（{key}）"
    ),
    "video.unreadable": "{name} 不是能读出画面尺寸的视频（{detail}）",
    # ---- camera ----
    "camera.permission_denied": (
        "{path} 存在，但当前用户无权打开：运行 {command}，然后注销并重新登录"
    ),
    "camera.device_not_open": "{label} 无法打开（那里没有摄像头，或正被其他程序占用）",
    # ---- the monitor: node states and alerts ----
    "state.paused": "已通过 API 暂停",
    "state.held_back": (
        "已有 {age:.0f} 秒没有保存心跳；未判为离线：监控服务在 {fault_ago:.0f} 秒前无法保存心跳"
    ),
    "state.offline.no_sign_of_life": "已有 {age:.0f} 秒没有任何动静（应每 {interval:g} 秒一次）",
    "state.offline.no_beat": "已有 {age:.0f} 秒没有心跳（应每 {interval:g} 秒一次）",
    "state.late": "心跳晚了 {overdue:.1f} 秒",
    "state.new": "已注册，尚无心跳",
    "state.online": "心跳准时",
    "alert.offline.no_sign_of_life": (
        "{node} 离线：已有 {age:.0f} 秒没有任何动静（应每 {interval:g} 秒一次）"
    ),
    "alert.offline.no_beat": "{node} 离线：已有 {age:.0f} 秒没有心跳（应每 {interval:g} 秒一次）",
    "alert.health_check": "{node} 健康检查失败（连续 {failures} 次）：{error}",
    "alert.cpu_high": (
        "{node} CPU 占用 {cpu_percent}%，已持续 {beats} 次心跳（阈值 {threshold:g}%）"
    ),
    "alert.memory_high": "{node} 内存占用过高，已持续 {beats} 次心跳",
    # ---- the virtual camera ----
    "vcam.no_device": "还没有虚拟摄像头设备：运行一次 {command}，然后再启动它。",
    "vcam.no_device_other": "没有虚拟摄像头设备：先在 OBS Studio 中启动一次虚拟摄像头，然后再试。",
    "video.size_unknown": (
        "{name} 的画面超过 {limit_megapixels:g} 百万像素（{key}），或无法读取；"
        "最多接受 {limit_megapixels:g} 百万像素"
    ),
    "face.image_too_large": "图片为 {size_mb:.1f} MB；最多 {limit_mb:g} MB（{key}）",
    "face.image_too_large_side": (
        "图片为 {width}x{height} 像素；每边最多 {max_side} 像素（face.max_side）"
    ),
    "face.image_claims_too_large": (
        "图片声称的尺寸太大，无法读取；每边最多 {max_side} 像素（face.max_side）"
    ),
    "face.upload_too_large": (
        "上传内容为 {size_mb:.1f} MB；一次最多 {total_mb:g} MB"
        "（{count} 张图片，每张最多 {limit_mb:g} MB，{key}）"
    ),
    "face.note.upscaled": "源人脸为 {size:.0f} 像素：已放大 {scale:.2f} 倍并锐化",
    "face.note.small_for_recognizer": (
        "源人脸为 {size:.0f} 像素：识别模型按 {read_px} 像素读取；换一张更大的照片会更像"
    ),
    "persona.bad_name": (
        "{field}：角色名为 1-40 个字母、数字、空格、_ 或 -，以字母或数字开头和结尾（不含路径字符）"
    ),
    "persona.not_found": "name：没有名为 {name!r} 的角色",
    "persona.read_only": "角色只能读取，不能保存：{reason}",
    "persona.unreadable": "无法读取 {path}（{detail}）；文件已保留，不会被覆盖",
    "persona.too_many": "name：最多 {limit} 个角色；请先删除一个",
    "persona.bad_voice": "{field}：{detail}",
    "persona.no_face_loaded": 'face：还没有加载人脸（POST /face/load），或发送 "keep"',
    "persona.face_unreadable": "name：无法读取 {name} 的人脸文件（{detail}）",
    "governor.holding": "保持 {fps:g} fps：{what}",
    "governor.enhancer_on": "人脸增强开启",
    "governor.enhancer_paused": "人脸增强已暂停",
    "governor.detection_full": "人脸检测全尺寸",
    "governor.detection_at": "人脸检测降至 {px} 像素",
    "governor.detection_every_frame": "每帧检测人脸",
    "governor.detection_every_other": "隔帧检测人脸",
    "governor.face_full": "人脸按原尺寸渲染",
    "governor.face_at": "人脸按 {px} 像素渲染",
    "governor.occlusion_full": "遮挡检测完整",
    "governor.occlusion_people_half": "遮挡：人像轮廓隔帧更新",
    "governor.occlusion_hands_less": "遮挡：降低手部搜索频率",
    "governor.occlusion_every_other": "遮挡：隔帧计算",
    "governor.preview_full": "预览全画质",
    "governor.preview_quality": "预览画质 {quality}",
    "governor.preview_small": "预览宽 {width} 像素，画质 {quality}",
    "governor.preview_slow": "预览宽 {width} 像素，画质 {quality}，{fps} fps",
    "face.still_restoring": "重启前保存的人脸状态仍在恢复中（已 {seconds} 秒）：请稍后再试",
    "face.enhancer_too_slow": (
        "增强在这台机器上每帧需要 {ms:.0f} 毫秒（预算 {budget:g} 毫秒）：直播画面会丢帧；"
        "请改在文件任务（文件标签页）中使用"
    ),
    "gpu.partly_unavailable": "这里没有 {missing}；正在使用 {running}",
    "gpu.cpu_fallback": (
        "要求使用 {asked}，但正在使用 {running}：GPU 提供程序未安装或启动失败"
        "（pip install onnxruntime-gpu，并检查 CUDA 和 cuDNN 库）；帧率会低很多"
    ),
    "camera.connecting": "正在连接 {source}：{reason}",
    "camera.reconnecting": "正在重新连接 {source}：{reason}",
    "camera.stopped_delivering": "{source} 不再送来画面；正在重新连接",
    "monitor.storage_refuses": "存储拒绝保存心跳：{fault}",
    "audio.no_portaudio": "没有安装 PortAudio：运行 {command}（{detail}）",
    "audio.no_sounddevice": "缺少 sounddevice 软件包：运行 {command}（{detail}）",
    "audio.portaudio_hung": (
        "PortAudio 在 {seconds:g} 秒内没有启动：声音服务没有响应，"
        "或留下了过期的 JACK 锁（删除 /dev/shm/jack_db-* 后重启）"
    ),
    "audio.cannot_list": "PortAudio 无法列出音频设备：{detail}",
    "audio.no_device": (
        "没有音频设备：没有声卡，也没有 PulseAudio 或 PipeWire 声音服务；"
        "请启动声音服务，或创建虚拟麦克风：{command}"
    ),
    "audio.stream_failed": "音频流未能打开：{detail}",
    "audio.recordings_only": "变声在没有输出设备的情况下运行（{detail}）：变声后的声音只进入录制",
    "audio.no_output_device": "PortAudio 看不到输出设备（没有声卡，也没有声音服务）",
    "audio.output_failed": "输出设备未能打开：{detail}",
    "audio.source_voice_stopped": "来自视频源的声音已停止：{detail}",
    "vcam.no_pyvirtualcam": "缺少 pyvirtualcam 软件包：运行 {command}",
    "vcam.stopped": "虚拟摄像头已停止：{detail}",
    "sink.stopped": "输出已停止：{detail}",
    "recording.stopped": "录制已停止：{detail}",
}
